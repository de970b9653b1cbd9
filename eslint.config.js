import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';

const uiAndElectron = [
  'electron',
  'react',
  'react-dom',
  'react/*',
  '@mui/*',
  'zustand',
  '@emotion/*',
];

export default tseslint.config(
  { ignores: ['node_modules', 'out', 'dist', '.lab', '.tmp', 'coverage', 'test-results'] },
  js.configs.recommended,
  ...tseslint.configs.strict,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    // Layering: the engine and the shared contract run headless; they never see Electron or React.
    files: [
      'src-main/engine/**/*.ts',
      'shared/**/*.ts',
      'src-main/server/**/*.ts',
      'src-main/cli/**/*.ts',
    ],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: uiAndElectron,
              message: 'engine/, server/, cli/ and shared/ stay free of Electron and React',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['shared/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [...uiAndElectron, 'node:*', '../src-main/*', '../src-renderer/*'],
              message: 'shared/ is pure TypeScript',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src-renderer/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
    plugins: { 'react-hooks': reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['electron', 'node:*', '**/src-main/**'],
              message: 'the renderer talks to the engine only through src-renderer/api',
            },
          ],
        },
      ],
    },
  },
);
