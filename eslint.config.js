// ESLint flat config (`npm run lint`; test/tooling/lint.test.ts runs it in CI).
//
// Correctness rules only: @eslint/js recommended + typescript-eslint recommended, the syntactic
// preset without type information (the type-checked presets would build the TypeScript program a
// second time; tsc itself runs in test/tooling/typecheck.test.ts). No stylistic rules: Prettier
// owns the layout (.prettierrc.json) and eslint-config-prettier is not a dependency, so nothing
// here may disagree with it.
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import tseslint from 'typescript-eslint';

export default defineConfig(
  // Generated or downloaded output, never hand-edited (see .gitignore).
  globalIgnores(['**/node_modules/', '**/cdk.out/', '.twin-cache/', '.drill/', 'reports/', 'coverage/', 'chaos-out/', '**/*.bundle.*', '**/dist/']),
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    linterOptions: {
      // A disable comment that no longer disables anything is an error, so they cannot pile up.
      reportUnusedDisableDirectives: 'error',
    },
    rules: {
      // Same convention as tsconfig's noUnusedLocals/noUnusedParameters, plus a leading underscore
      // for a binding kept on purpose (a positional parameter, a caught error, a skipped element).
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
      // Narrowed: a `let` declared first and assigned once later stays a `let` when a closure made
      // in between reads it (the drill's hooks read the deployment before deploy() returns); as a
      // `const` at the assignment it would throw in the temporal dead zone.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      // Off: every control-character class in the tree is deliberate (escaping or stripping
      // \x00-\x1f for JSON strings, HTML, terminal output and SQL identifiers), which is exactly what
      // this rule flags; the escapes have their own tests.
      'no-control-regex': 'off',
      // Narrowed: the virtual clock's timer handle is an object literal with a getter and methods
      // that reach the clock; naming the outer `this` `clock` is clearer than arrow-function tricks.
      '@typescript-eslint/no-this-alias': ['error', { allowedNames: ['clock'] }],
    },
  },
  {
    // Plain JavaScript (scripts/*.mjs, this file) runs on Node: declare its globals for no-undef
    // (typescript-eslint turns no-undef off for .ts, where tsc checks names).
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly' },
    },
  },
);
