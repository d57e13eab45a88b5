# Installs the SARIF validator into VALIDATOR_DIR: validate.js, and the npm
# packages pinned by package-lock.json (`npm ci`).
# Usage: cmake -DVALIDATOR_DIR=DIR -DNPM=npm -P install.cmake
get_filename_component(source "${CMAKE_CURRENT_LIST_FILE}" DIRECTORY)
file(COPY "${source}/package.json" "${source}/package-lock.json" "${source}/validate.js"
     DESTINATION "${VALIDATOR_DIR}")
execute_process(COMMAND "${NPM}" ci --no-audit --no-fund WORKING_DIRECTORY "${VALIDATOR_DIR}"
                RESULT_VARIABLE status)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "npm ci failed (${status}): the SARIF tests need the npm registry or a warm npm cache")
endif()
