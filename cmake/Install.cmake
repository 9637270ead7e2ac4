# Install rules (binaries are installed in apps/CMakeLists.txt): shell
# completions, man pages, the default configuration and the systemd unit, in
# the places Debian expects them. Relative destinations follow
# CMAKE_INSTALL_PREFIX. What lives under sysconfdir, and the systemd unit that
# names it, is placed by an install script (cmake/InstallTime.cmake.in) that
# works the directories out when installing: `cmake --install build --prefix
# /usr` gives /etc/sse-server/sse-server.toml, --prefix /usr/local gives
# /usr/local/etc/sse-server/sse-server.toml, as GNUInstallDirs would had the
# prefix been given at configure time. An absolute CMAKE_INSTALL_SYSCONFDIR
# is kept as it is.

install(FILES ${PROJECT_SOURCE_DIR}/completions/ssectl.bash
        DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions RENAME ssectl)
install(FILES ${PROJECT_SOURCE_DIR}/completions/_ssectl
        DESTINATION ${CMAKE_INSTALL_DATADIR}/zsh/vendor-completions)
install(FILES ${PROJECT_SOURCE_DIR}/completions/ssectl.fish
        DESTINATION ${CMAKE_INSTALL_DATADIR}/fish/vendor_completions.d)

install(FILES ${PROJECT_SOURCE_DIR}/man/ssectl.1 ${PROJECT_SOURCE_DIR}/man/sse-server.1
              ${PROJECT_SOURCE_DIR}/man/sse-bench.1
        DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
if(EXISTS ${PROJECT_SOURCE_DIR}/man/sse-server.toml.5)
  install(FILES ${PROJECT_SOURCE_DIR}/man/sse-server.toml.5 DESTINATION ${CMAKE_INSTALL_MANDIR}/man5)
endif()

install(FILES ${PROJECT_SOURCE_DIR}/config/ssectl.toml DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)

# config/sse-server.toml -> <sysconfdir>/sse-server/, and the systemd unit
# (config/sse-server.service, its @CMAKE_INSTALL_FULL_*@ filled in for the
# install prefix) -> <prefix>/lib/systemd/system.
set(SSE_INSTALL_SYSTEMD_UNITDIR lib/systemd/system)
include(${CMAKE_CURRENT_LIST_DIR}/InstallDirs.cmake)
configure_file(${CMAKE_CURRENT_LIST_DIR}/InstallTime.cmake.in
               ${PROJECT_BINARY_DIR}/sse_install_time.cmake @ONLY)
install(SCRIPT ${PROJECT_BINARY_DIR}/sse_install_time.cmake)
