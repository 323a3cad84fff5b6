// ESLint 9 flat config: typescript-eslint's type-checked recommended rules over every TypeScript file tsconfig.json
// covers, plus a few project rules. Prettier owns formatting (no stylistic rules here). A disable comment must say
// why (`-- reason`), and one that no longer disables anything is an error.
const js = require('@eslint/js');
const tseslint = require('typescript-eslint');
const globals = require('globals');

module.exports = tseslint.config(
  {
    // Build output, generated and local data, and the examples (separate packages with their own node_modules).
    ignores: [
      'dist/**',
      '**/node_modules/**',
      'coverage/**',
      'test-output/**',
      'examples/**',
      'data/**',
      'bench/.data/**',
      '**/*.d.ts',
    ],
  },
  {
    linterOptions: { reportUnusedDisableDirectives: 'error' },
  },
  {
    files: ['**/*.ts'],
    extends: [js.configs.recommended, ...tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: __dirname },
    },
    rules: {
      // Unused names are mistakes, except a deliberate `_` prefix (an ignored parameter or a rest-omit).
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true },
      ],
      eqeqeq: ['error', 'smart'],
      // Not consistent-type-imports: with emitDecoratorMetadata, Nest's injection needs the value imports of the
      // classes it injects, and the rule's fix would turn them into type imports.
    },
  },
  {
    // Specs read HTTP and JSON bodies as `any` on purpose (JsonResponse, HttpResult): every field they touch is
    // asserted with expect, so a wrong field fails the test. The unsafe-any family would only add casts there. It
    // stays on for every file the service, the CLI and the libraries ship.
    files: ['**/*.spec.ts', 'test/**/*.ts', 'libs/*/src/testing/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    // Plain JavaScript: the CommonJS scripts, jest config and this file.
    files: ['**/*.js'],
    extends: [js.configs.recommended],
    languageOptions: { sourceType: 'commonjs', globals: globals.node },
  },
  {
    // The dashboard's script runs in the browser, as a classic script after intl-messageformat's bundle (which
    // defines the IntlMessageFormat global); it is served, not required.
    files: ['apps/ledger-api/src/dashboard/*.js'],
    languageOptions: { sourceType: 'script', globals: { ...globals.browser, IntlMessageFormat: 'readonly' } },
  },
);
