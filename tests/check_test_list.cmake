# The suite checks itself: every ctest entry of a Catch2 program runs exactly
# the one case it is named after, and every case has exactly one entry.
#
# Why: catch_discover_tests (CatchAddTests.cmake) reads the case names from
# `--list-test-names-only` into a CMake list, so a name with ';' becomes two
# entries, and '[', ']' or '\' can merge or cut list elements; the test spec
# it passes escapes only ',', '[' and ']', so '*', '~', '"', '\' or a name that
# differs from another only in case select more or fewer cases. Catch2 v2 then
# runs nothing and exits 0 unless given --warn NoTests, and ctest shows a pass.
#
#   cmake -DCTEST_COMMAND=ctest -DBUILD_DIR=<build> "-DSUITE_0=<prefix>|<program>"
#         ["-DSUITE_1=<prefix>|<program>" ...] -P check_test_list.cmake
#
# <prefix> is the TEST_PREFIX given to catch_discover_tests for <program>.
# Fails listing every difference; ctest entries of other programs are ignored.

cmake_minimum_required(VERSION 3.19)  # string(JSON)

foreach(required CTEST_COMMAND BUILD_DIR SUITE_0)
  if(NOT DEFINED ${required})
    message(FATAL_ERROR "check_test_list.cmake: -D${required}=... is required")
  endif()
endforeach()

set(problems "")
set(problem_count 0)
function(problem text)
  set(problems "${problems}  - ${text}\n" PARENT_SCOPE)
  math(EXPR count "${problem_count} + 1")
  set(problem_count ${count} PARENT_SCOPE)
endfunction()

# Splits `text` into lines without going through a CMake list (a name may hold
# ';', '[' or '\'): sets <out>_COUNT and <out>_0, <out>_1, ...
function(split_lines text out)
  set(n 0)
  while(NOT text STREQUAL "")
    string(FIND "${text}" "\n" nl)
    if(nl EQUAL -1)
      set(line "${text}")
      set(text "")
    else()
      string(SUBSTRING "${text}" 0 ${nl} line)
      math(EXPR rest "${nl} + 1")
      string(SUBSTRING "${text}" ${rest} -1 text)
    endif()
    string(REGEX REPLACE "\r$" "" line "${line}")
    if(NOT line STREQUAL "")
      set(${out}_${n} "${line}" PARENT_SCOPE)
      math(EXPR n "${n} + 1")
    endif()
  endwhile()
  set(${out}_COUNT ${n} PARENT_SCOPE)
endfunction()

# The case names of one program, read the way catch_discover_tests reads them.
function(list_cases program out)
  execute_process(COMMAND "${program}" --list-test-names-only
                  OUTPUT_VARIABLE listed ERROR_VARIABLE errors RESULT_VARIABLE result)
  # Catch2 v2 exits with the number of cases listed; only a crash is an error.
  if(NOT result MATCHES "^[0-9]+$")
    message(FATAL_ERROR "${program} --list-test-names-only failed (${result}): ${errors}")
  endif()
  split_lines("${listed}" lines)
  set(${out}_COUNT ${lines_COUNT} PARENT_SCOPE)
  if(lines_COUNT GREATER 0)
    math(EXPR last "${lines_COUNT} - 1")
    foreach(i RANGE ${last})
      set(${out}_${i} "${lines_${i}}" PARENT_SCOPE)
    endforeach()
  endif()
endfunction()

# --- The ctest entries, exactly as ctest holds them (JSON keeps every byte).
execute_process(COMMAND "${CTEST_COMMAND}" --show-only=json-v1
                WORKING_DIRECTORY "${BUILD_DIR}"
                OUTPUT_VARIABLE ctest_json ERROR_VARIABLE ctest_errors RESULT_VARIABLE ctest_result)
if(NOT ctest_result EQUAL 0)
  message(FATAL_ERROR "ctest --show-only=json-v1 in ${BUILD_DIR} failed: ${ctest_errors}")
endif()
string(JSON entry_count LENGTH "${ctest_json}" tests)

set(suite_ids "")
set(suite_index 0)
foreach(n RANGE 9)
  if(NOT DEFINED SUITE_${n})
    continue()
  endif()
  set(suite "${SUITE_${n}}")
  string(FIND "${suite}" "|" bar)
  string(SUBSTRING "${suite}" 0 ${bar} prefix)
  math(EXPR after_bar "${bar} + 1")
  string(SUBSTRING "${suite}" ${after_bar} -1 program)
  if(NOT EXISTS "${program}")
    problem("program ${program} does not exist")
    continue()
  endif()
  set(suite_prefix_${suite_index} "${prefix}")
  set(suite_program_${suite_index} "${program}")
  list(APPEND suite_ids ${suite_index})
  math(EXPR suite_index "${suite_index} + 1")
endforeach()

# Each case, keyed by the MD5 of its full ctest name (no list ever holds a name).
foreach(s IN LISTS suite_ids)
  list_cases("${suite_program_${s}}" cases)
  set(suite_case_count_${s} ${cases_COUNT})
  if(cases_COUNT EQUAL 0)
    problem("${suite_program_${s}} lists no test cases")
    continue()
  endif()
  math(EXPR last "${cases_COUNT} - 1")
  foreach(i RANGE ${last})
    set(full "${suite_prefix_${s}}${cases_${i}}")
    string(MD5 key "${full}")
    if(DEFINED case_${key})
      problem("two cases would share the ctest name '${full}'")
    endif()
    # Names that happen to work today but break discovery as soon as another
    # name changes: ';' and '\' split or join list elements, an unbalanced '['
    # or ']' merges the names up to its partner, a leading '~', '#', '-' or
    # '*', a trailing '*', '"' and outer spaces change what the spec selects.
    set(name "${cases_${i}}")
    string(FIND "${name}" ";" semicolon)
    string(FIND "${name}" "\\" backslash)
    string(FIND "${name}" "[" open_bracket)
    string(FIND "${name}" "]" close_bracket)
    string(FIND "${name}" "\"" quote)
    if(NOT semicolon EQUAL -1 OR NOT backslash EQUAL -1 OR NOT open_bracket EQUAL -1
       OR NOT close_bracket EQUAL -1 OR NOT quote EQUAL -1 OR name MATCHES "^[ \t~#*-]"
       OR name MATCHES "[ \t*]$")
      set(rule "must not contain ; \\ [ ] \" nor start with ~ # * - or a space, nor end with")
      problem("case '${name}' of ${suite_program_${s}}: a name ${rule} * or a space")
    endif()
    set(case_${key} "${cases_${i}}")
    set(case_suite_${key} ${s})
    set(case_entries_${key} 0)
    list(APPEND case_keys ${key})
  endforeach()
endforeach()

# --- Each ctest entry of a suite: named after a case, and running only it.
set(checked_entries 0)
if(entry_count GREATER 0)
  math(EXPR last_entry "${entry_count} - 1")
  foreach(i RANGE ${last_entry})
    string(JSON name GET "${ctest_json}" tests ${i} name)
    string(JSON has_command ERROR_VARIABLE no_command GET "${ctest_json}" tests ${i} command)
    if(no_command)
      continue()
    endif()
    string(JSON argc LENGTH "${ctest_json}" tests ${i} command)
    string(JSON program GET "${ctest_json}" tests ${i} command 0)
    set(suite "")
    foreach(s IN LISTS suite_ids)
      string(FIND "${name}" "${suite_prefix_${s}}" at)
      if(program STREQUAL suite_program_${s} OR at EQUAL 0)
        set(suite ${s})
      endif()
    endforeach()
    if(suite STREQUAL "")
      continue()  # not a Catch2 program of this suite (this check, packaging tests, ...)
    endif()
    math(EXPR checked_entries "${checked_entries} + 1")
    string(MD5 key "${name}")
    if(NOT DEFINED case_${key})
      problem("ctest entry '${name}' is not the name of a case of ${suite_program_${suite}}")
    else()
      math(EXPR seen "${case_entries_${key}} + 1")
      set(case_entries_${key} ${seen})
    endif()
    if(argc LESS 2)
      problem("ctest entry '${name}' passes no test spec: it would run every case")
      continue()
    endif()
    string(JSON spec GET "${ctest_json}" tests ${i} command 1)
    # The rest of the command must include --warn NoTests, so that an entry
    # whose spec matches nothing fails instead of passing.
    set(warns FALSE)
    set(previous "")
    math(EXPR last_arg "${argc} - 1")
    if(last_arg GREATER 2)
      foreach(a RANGE 2 ${last_arg})
        string(JSON arg GET "${ctest_json}" tests ${i} command ${a})
        if(arg STREQUAL "NoTests" AND previous STREQUAL "--warn")
          set(warns TRUE)
        endif()
        set(previous "${arg}")
      endforeach()
    endif()
    if(NOT warns)
      problem("ctest entry '${name}' runs without '--warn NoTests'")
    endif()
    # What the spec selects, asked of the program itself.
    execute_process(COMMAND "${program}" "${spec}" --list-test-names-only
                    OUTPUT_VARIABLE selected ERROR_VARIABLE ignored RESULT_VARIABLE result)
    split_lines("${selected}" sel)
    string(LENGTH "${suite_prefix_${suite}}" prefix_length)
    string(SUBSTRING "${name}" ${prefix_length} -1 expected)
    if(NOT sel_COUNT EQUAL 1)
      set(what "")
      if(sel_COUNT GREATER 0)
        math(EXPR last_sel "${sel_COUNT} - 1")
        foreach(j RANGE ${last_sel})
          string(APPEND what " '${sel_${j}}'")
        endforeach()
      endif()
      problem("ctest entry '${name}' (spec '${spec}') selects ${sel_COUNT} cases:${what}")
    elseif(NOT sel_0 STREQUAL expected)
      problem("ctest entry '${name}' (spec '${spec}') runs '${sel_0}' instead")
    endif()
  endforeach()
endif()

# --- Each case: exactly one entry.
foreach(key IN LISTS case_keys)
  set(s ${case_suite_${key}})
  if(case_entries_${key} EQUAL 0)
    set(wanted "${suite_prefix_${s}}${case_${key}}")
    problem("case '${case_${key}}' of ${suite_program_${s}} has no ctest entry '${wanted}'")
  elseif(case_entries_${key} GREATER 1)
    problem("case '${case_${key}}' of ${suite_program_${s}} has ${case_entries_${key}} entries")
  endif()
endforeach()

if(problem_count GREATER 0)
  message(FATAL_ERROR "ctest entries and Catch2 cases differ (${problem_count}):\n${problems}")
endif()
list(LENGTH case_keys case_total)
message(STATUS "${checked_entries} ctest entries run ${case_total} Catch2 cases, one each")
