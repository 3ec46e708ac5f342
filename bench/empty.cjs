'use strict';
// An empty CommonJS module: bench/kill.js imports it from ESM to measure what Node's CommonJS
// interop costs any package (cjs-module-lexer, the ESM loader's first CommonJS import).
