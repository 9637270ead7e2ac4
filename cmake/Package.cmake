# A Debian package of both programs: `cpack -G DEB` in the build directory (or
# `cmake --build build --target package`) writes sse-server_<version>_<arch>.deb
# with what `cmake --install` installs, for the prefix /usr: the programs in
# /usr/bin, man pages, completions, the systemd unit in /usr/lib/systemd/system
# and the configuration in /etc/sse-server, marked as a conffile (dpkg keeps a
# locally edited copy on upgrade). tests/packaging/deb_test.sh checks it.

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME sse-server)
set(CPACK_PACKAGE_VENDOR "sse-server")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
# The long description; CPack puts the summary line above it.
set(CPACK_PACKAGE_DESCRIPTION [[
sse-server pushes notifications, realtime entity updates, chat rooms and
system status to browsers over Server-Sent Events, with demo-token and JWT
auth, per-user limits, heartbeats and replay of missed events from a durable
SQLite log. ssectl sends events, tails streams, makes tokens and lists
connections, with stable exit codes for scripts. sse-bench is a load
generator for any SSE server: subscribers, publishes on a schedule, latency,
loss and the server's CPU and memory.]])
set(SSE_PACKAGE_MAINTAINER
    "Seed d068f057 maintainers <maintainers@users.noreply.r-seed-d068f057.example>"
    CACHE STRING "Maintainer field of the Debian package")
set(CPACK_PACKAGE_CONTACT "${SSE_PACKAGE_MAINTAINER}")
set(CPACK_STRIP_FILES ON)  # RelWithDebInfo binaries are ten times their stripped size

# Install into a staging DESTDIR with the real prefix, so the install script
# (cmake/InstallTime.cmake.in) sees /usr and puts the config in /etc.
set(CPACK_SET_DESTDIR ON)
set(CPACK_INSTALL_PREFIX /usr)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)

set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
# history.backend = "redis" (several nodes) needs a Redis server somewhere.
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "redis-server")

# Depends: from dpkg-shlibdeps (dpkg-dev) when it and file(1) are here, which
# scripts/install-deps sees to; otherwise the libraries the programs link,
# by their Debian 12 package names.
find_program(SSE_DPKG_SHLIBDEPS dpkg-shlibdeps)
find_program(SSE_FILE_PROGRAM file)
if(SSE_DPKG_SHLIBDEPS AND SSE_FILE_PROGRAM)
  set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
else()
  set(CPACK_DEBIAN_PACKAGE_DEPENDS
      "libc6, libgcc-s1, libstdc++6, libfmt9, libtomlplusplus3, libpocofoundation80, libpoconet80, libpocojson80, libpocojwt80, libpococrypto80, libpocodata80, libpocodatasqlite80, libpocoredis80")
endif()

# conffiles: the files under sysconfdir, by their paths in the package.
sse_full_install_dir(SSE_PACKAGE_SYSCONFDIR "${CPACK_PACKAGING_INSTALL_PREFIX}"
                     "${CMAKE_INSTALL_SYSCONFDIR}" SYSCONF)
file(WRITE ${PROJECT_BINARY_DIR}/debian/conffiles "${SSE_PACKAGE_SYSCONFDIR}/sse-server/sse-server.toml\n")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${PROJECT_BINARY_DIR}/debian/conffiles)

# `cpack --config CPackSourceConfig.cmake`: a tarball of the sources, without
# git, build trees and scripts/run's data/ (patterns anchored at the top).
set(CPACK_SOURCE_GENERATOR TGZ)
# CPack writes these into CPackSourceConfig.cmake unescaped: no backslashes,
# so special characters go in brackets.
string(REGEX REPLACE "([.+*?()|$])" "[\\1]" sse_source_re "${PROJECT_SOURCE_DIR}")
set(CPACK_SOURCE_IGNORE_FILES "^${sse_source_re}/[.]git/" "^${sse_source_re}/build[^/]*/"
    "^${sse_source_re}/data/" "[.]swp$")

include(CPack)
