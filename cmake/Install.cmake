# Install rules (binaries are installed in apps/CMakeLists.txt): shell
# completions, man pages, the default configuration and the systemd unit, in
# the places Debian expects them. Relative destinations follow
# CMAKE_INSTALL_PREFIX; a Debian package passes -DCMAKE_INSTALL_SYSCONFDIR=/etc.

install(FILES ${PROJECT_SOURCE_DIR}/completions/ssectl.bash
        DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions RENAME ssectl)
install(FILES ${PROJECT_SOURCE_DIR}/completions/_ssectl
        DESTINATION ${CMAKE_INSTALL_DATADIR}/zsh/vendor-completions)
install(FILES ${PROJECT_SOURCE_DIR}/completions/ssectl.fish
        DESTINATION ${CMAKE_INSTALL_DATADIR}/fish/vendor_completions.d)

install(FILES ${PROJECT_SOURCE_DIR}/man/ssectl.1 ${PROJECT_SOURCE_DIR}/man/sse-server.1
        DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
if(EXISTS ${PROJECT_SOURCE_DIR}/man/sse-server.toml.5)
  install(FILES ${PROJECT_SOURCE_DIR}/man/sse-server.toml.5 DESTINATION ${CMAKE_INSTALL_MANDIR}/man5)
endif()

install(FILES ${PROJECT_SOURCE_DIR}/config/sse-server.toml DESTINATION ${CMAKE_INSTALL_SYSCONFDIR}/sse-server)
install(FILES ${PROJECT_SOURCE_DIR}/config/ssectl.toml DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)

# The unit names the installed binary and config by their final paths.
configure_file(${PROJECT_SOURCE_DIR}/config/sse-server.service
               ${PROJECT_BINARY_DIR}/sse-server.service @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/sse-server.service DESTINATION lib/systemd/system)
