# sse_full_install_dir(<out> <prefix> <dir> [SYSCONF])
#
# The absolute path of the install directory <dir> (a relative one such as
# "bin" or "etc", or an absolute one, which is kept) under <prefix>, by the
# rules of GNUInstallDirs: with SYSCONF (for sysconfdir), the prefixes / and
# /usr give /<dir> (/etc), /opt/<pkg> gives /<dir>/opt/<pkg> (/etc/opt/<pkg>),
# any other prefix <prefix>/<dir> (/usr/local/etc).
#
# GNUInstallDirs works CMAKE_INSTALL_FULL_SYSCONFDIR out once, at configure
# time, for the prefix given then; `cmake --install <build> --prefix /usr`
# changes the prefix later. This function also works in install scripts
# (cmake/InstallTime.cmake.in), so an install with --prefix P puts files
# where configuring with -DCMAKE_INSTALL_PREFIX=P would have.
function(sse_full_install_dir out prefix dir)
  cmake_parse_arguments(PARSE_ARGV 3 arg "SYSCONF" "" "")
  if(IS_ABSOLUTE "${dir}")
    set(full "${dir}")
  elseif(arg_SYSCONF AND prefix MATCHES "^/(usr/*)?$")
    set(full "/${dir}")
  elseif(arg_SYSCONF AND prefix MATCHES "^/opt/(.+)$")
    set(full "/${dir}/opt/${CMAKE_MATCH_1}")
  else()
    set(full "${prefix}/${dir}")
  endif()
  string(REGEX REPLACE "/+" "/" full "${full}")
  string(REGEX REPLACE "(.)/$" "\\1" full "${full}")
  set(${out} "${full}" PARENT_SCOPE)
endfunction()
