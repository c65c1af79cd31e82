// @ts-check
import tseslint from 'typescript-eslint';
import { declaredDependencies } from './declared-dependencies.js';
import { importBoundaries } from './import-boundaries.js';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', 'test/.tmp/**'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.tsx', '**/*.js'],
    plugins: { airlock: { rules: { 'import-boundaries': importBoundaries, 'declared-dependencies': declaredDependencies } } },
    rules: {
      'airlock/import-boundaries': 'error',
      'airlock/declared-dependencies': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'off',
    },
  },
);
