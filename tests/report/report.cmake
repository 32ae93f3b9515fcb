# mtasts-report's tests (include()d from tests/CMakeLists.txt):
#   report.fixtures  summary numbers, diff, merge, exit codes, the text
#                    summary and the Prometheus file (promtool / the
#                    python3-prometheus-client parser) over tests/report/fixtures
#   report.browser   the HTML page in headless chromium (skipped, exit 77,
#                    with a message when chromium is missing)
#   report.shards    --shard 1/3..3/3 merged == one unsharded lab run, and
#                    the lab run's HTML in chromium (needs the lab fixture)
#   docs.man         data/mtasts-scan.1 and data/mtasts-report.1 are up to
#                    date with the built binaries' option tables
find_package(Python3 REQUIRED COMPONENTS Interpreter)
set(MS_REPORT_TESTS ${PROJECT_SOURCE_DIR}/tests/report)
set(MS_REPORT_OUT ${CMAKE_BINARY_DIR}/tests/report-out)

add_test(NAME report.fixtures
         COMMAND ${Python3_EXECUTABLE} ${MS_REPORT_TESTS}/run_report_tests.py
                 $<TARGET_FILE:mtasts-report>)
add_test(NAME report.browser
         COMMAND ${Python3_EXECUTABLE} ${MS_REPORT_TESTS}/browser_test.py
                 $<TARGET_FILE:mtasts-report> ${MS_REPORT_OUT})
set_tests_properties(report.fixtures report.browser PROPERTIES
                     TIMEOUT 60 LABELS report)
set_tests_properties(report.browser PROPERTIES SKIP_RETURN_CODE 77)

if(TARGET mtasts-scan)
  add_test(NAME report.shards
           COMMAND ${Python3_EXECUTABLE} ${MS_REPORT_TESTS}/shard_test.py
                   $<TARGET_FILE:mtasts-scan> $<TARGET_FILE:mtasts-report>
                   ${MS_REPORT_OUT})
  set_tests_properties(report.shards PROPERTIES FIXTURES_REQUIRED lab
                       RESOURCE_LOCK ms_lab TIMEOUT 600 LABELS "report;lab")
  add_test(NAME docs.man
           COMMAND bash ${PROJECT_SOURCE_DIR}/scripts/gen-man.sh --check
                   $<TARGET_FILE:mtasts-scan> $<TARGET_FILE:mtasts-report>)
  set_tests_properties(docs.man PROPERTIES TIMEOUT 60 LABELS docs)
endif()

# scripts/nightly.sh with a stand-in scanner: dated files, previous night,
# clean-up, exit status.
add_test(NAME report.nightly
         COMMAND bash ${MS_REPORT_TESTS}/nightly_test.sh
                 $<TARGET_FILE:mtasts-report>)
set_tests_properties(report.nightly PROPERTIES TIMEOUT 60 LABELS report)
