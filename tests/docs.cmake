# Generated docs and the record schema (included from tests/CMakeLists.txt).
# docs.findings: data/findings.md and the schema's finding-code enum are
# up to date with data/findings.def. schema.selftest: the schema accepts
# good records (including every expected record of test_record.c) and
# rejects bad ones.
add_test(NAME docs.findings
         COMMAND python3 ${PROJECT_SOURCE_DIR}/scripts/gen-findings-doc.py --check)
add_test(NAME schema.selftest
         COMMAND python3 ${PROJECT_SOURCE_DIR}/tests/schema_selftest.py)
set_tests_properties(docs.findings schema.selftest PROPERTIES
                     TIMEOUT 60 LABELS docs)
