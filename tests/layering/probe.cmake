# One layering probe of tests/layering.cmake (cmake -P): the control target must build, the
# probe target must fail, and fail for the reason the probe is about: HEADER not found (an
# include the part's libraries do not export), or SYMBOL undefined (a call into a part it
# does not link). Any other failure (a broken control, a syntax error) fails the test.
foreach(var BUILD_DIR CONTROL PROBE)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "layering/probe.cmake: -D${var}= is required")
  endif()
endforeach()

execute_process(COMMAND ${CMAKE_COMMAND} --build ${BUILD_DIR} --target ${CONTROL}
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "control ${CONTROL} did not build, so the probe proves nothing:\n${out}")
endif()

execute_process(COMMAND ${CMAKE_COMMAND} --build ${BUILD_DIR} --target ${PROBE}
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
if(rc EQUAL 0)
  message(FATAL_ERROR "${PROBE} built: the layering rule it probes is broken")
endif()
if(DEFINED HEADER)
  string(REPLACE "." "\\." header_re "${HEADER}")
  if(NOT out MATCHES "${header_re}'?:? (No such file or directory|file not found)")
    message(FATAL_ERROR "${PROBE} failed, but not because ${HEADER} was not found:\n${out}")
  endif()
  message(STATUS "${PROBE}: ${HEADER} not found, as the rules want")
else()
  if(NOT out MATCHES "undefined reference to [`']?${SYMBOL}")
    message(FATAL_ERROR "${PROBE} failed, but not because ${SYMBOL} was undefined:\n${out}")
  endif()
  message(STATUS "${PROBE}: ${SYMBOL} undefined, as the rules want")
endif()
