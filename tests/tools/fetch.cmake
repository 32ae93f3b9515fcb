# ms_fetch: runs one policy fetch (net/https.c + net/tls.c) on a uv loop
# and prints the filled struct ms_obs_fetch. A developer tool for the lab;
# include()d from tests/tools/CMakeLists.txt.
add_executable(ms_fetch ${CMAKE_CURRENT_LIST_DIR}/ms_fetch.c)
target_link_libraries(ms_fetch PRIVATE ms_net ms_warnings)
