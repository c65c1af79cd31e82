import { RuleTester } from 'eslint';
import tseslint from 'typescript-eslint';
import { describe, it } from 'vitest';
import { declaredDependencies } from './declared-dependencies.js';

RuleTester.describe = describe;
RuleTester.it = it;

const tester = new RuleTester({ languageOptions: { parser: tseslint.parser as never, ecmaVersion: 2023, sourceType: 'module' } });
const at = (path: string) => `${process.cwd()}/${path}`;

/** Written out from the workspaces' package.json files as they are meant to be. */
const allowed: [file: string, code: string][] = [
  ['apps/console/src/registry/x.ts', "import Database from 'better-sqlite3';"],
  ['apps/console/src/registry/x.ts', "import { z } from 'zod';"],
  ['apps/console/src/registry/x.ts', "import { AirlockError } from '@airlock/shared/common';"],
  ['apps/console/src/registry/x.ts', "import { readFile } from 'node:fs/promises';"],
  ['apps/console/src/registry/x.ts', "import { join } from 'path';"],
  ['apps/console/src/main/x.ts', "import { app } from 'electron';"],
  ['agent/src/x.ts', "import chokidar from 'chokidar';"],
  ['shared/src/common/x.ts', "import { sha256 } from '@noble/hashes/sha2.js';"],
  ['shared/src/node/x.ts', "import { extract } from 'tar-stream';"],
  ['apps/console/src/registry/x.test.ts', "import { describe } from 'vitest';"],
  ['test/helpers/x.ts', "import { describe } from 'vitest';"],
  ['apps/console/src/registry/x.ts', "import { x } from './local.js';"],
];

const refused: [file: string, code: string, why: RegExp][] = [
  ['agent/src/x.ts', "import Database from 'better-sqlite3';", /"better-sqlite3" is imported here but not declared in agent\/package.json/],
  ['shared/src/common/x.ts', "import { Command } from 'commander';", /"commander" .* shared\/package.json/],
  ['apps/console/src/registry/x.ts', "import chokidar from 'chokidar';", /"chokidar" .* apps\/console\/package.json/],
  ['agent/src/x.ts', "import { describe } from 'vitest';", /"vitest" .* agent\/package.json/],
  ['apps/console/src/cli/x.ts', "const m = await import('left-pad');", /"left-pad"/],
  ['agent/src/x.ts', "export * from 'ajv';", /"ajv" .* agent\/package.json/],
];

tester.run('declared-dependencies', declaredDependencies, {
  valid: allowed.map(([file, code]) => ({ filename: at(file), code })),
  invalid: refused.map(([file, code, why]) => ({ filename: at(file), code, errors: [{ message: why }] })),
});
