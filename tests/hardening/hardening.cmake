# Issue 6 hardening tests (include from tests/CMakeLists.txt:
#   include(${CMAKE_CURRENT_SOURCE_DIR}/hardening/hardening.cmake)).
# hardening.ssrf needs no lab: it scans non-public addresses inside a
# private network namespace (root, unshare, ip; skipped otherwise).
# hardening.input and hardening.interrupt use the lab fixture of
# tests/lab/CMakeLists.txt (lab.start/lab.stop) and take its lock.
find_package(Python3 REQUIRED COMPONENTS Interpreter)
set(MS_HARDENING_DIR ${CMAKE_CURRENT_LIST_DIR})
set(MS_HARDENING_SCANNER ${CMAKE_BINARY_DIR}/scanner/mtasts-scan)

add_test(NAME hardening.ssrf
         COMMAND ${Python3_EXECUTABLE} ${MS_HARDENING_DIR}/ssrf_test.py
                 ${MS_HARDENING_SCANNER})
set_tests_properties(hardening.ssrf PROPERTIES TIMEOUT 180
                     SKIP_RETURN_CODE 77 LABELS hardening)

# --memory: the 100k/1M-line peak RSS comparison (skipped by the script in
# a sanitizer build, whose allocator quarantine grows with every free).
add_test(NAME hardening.input
         COMMAND ${Python3_EXECUTABLE} ${MS_HARDENING_DIR}/input_test.py
                 --memory ${MS_HARDENING_SCANNER})
set_tests_properties(hardening.input PROPERTIES FIXTURES_REQUIRED lab
                     TIMEOUT 300 RESOURCE_LOCK ms_lab SKIP_RETURN_CODE 77
                     LABELS "hardening;lab")

add_test(NAME hardening.interrupt
         COMMAND ${Python3_EXECUTABLE} ${MS_HARDENING_DIR}/interrupt_test.py
                 ${MS_HARDENING_SCANNER})
set_tests_properties(hardening.interrupt PROPERTIES FIXTURES_REQUIRED lab
                     TIMEOUT 300 RESOURCE_LOCK ms_lab SKIP_RETURN_CODE 77
                     LABELS "hardening;lab")
