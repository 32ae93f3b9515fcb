# ms_smtpq: STARTTLS probes through net/smtp.c on a uv loop, printing the
# filled struct ms_obs_smtp and the engine counters. A developer tool for
# the lab (tests/tools/smtp_lab.sh); include()d from tests/tools/CMakeLists.txt.
add_executable(ms_smtpq ${CMAKE_CURRENT_LIST_DIR}/ms_smtpq.c)
target_link_libraries(ms_smtpq PRIVATE ms_net ms_warnings)
