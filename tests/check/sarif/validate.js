// Validates SARIF files against the vendored SARIF 2.1.0 schema (draft-04),
// formats included.  Usage: node validate.js SCHEMA FILE...  Exit 0 when every
// file is valid, 1 otherwise (each error printed).
'use strict';
const fs = require('fs');
const Ajv = require('ajv-draft-04');
const addFormats = require('ajv-formats');

const [schemaPath, ...files] = process.argv.slice(2);
if (!schemaPath || files.length === 0) {
  console.error('usage: node validate.js SCHEMA FILE...');
  process.exit(2);
}
// unicodeRegExp off: the schema's "language" pattern is not a valid regular expression with the u flag.
const ajv = new Ajv({ allErrors: true, strict: false, unicodeRegExp: false });
addFormats(ajv);
const validate = ajv.compile(JSON.parse(fs.readFileSync(schemaPath, 'utf8')));
let ok = true;
for (const file of files) {
  const log = JSON.parse(fs.readFileSync(file, 'utf8'));
  if (validate(log)) {
    console.log(`${file}: valid SARIF 2.1.0`);
  } else {
    ok = false;
    for (const error of validate.errors) console.error(`${file}: ${error.instancePath} ${error.message}`);
  }
}
process.exit(ok ? 0 : 1);
