import { RuleTester } from 'eslint';
import tseslint from 'typescript-eslint';
import { describe, it } from 'vitest';
import { importBoundaries } from './import-boundaries.js';

RuleTester.describe = describe;
RuleTester.it = it;

const tester = new RuleTester({ languageOptions: { parser: tseslint.parser as never, ecmaVersion: 2023, sourceType: 'module' } });
const at = (path: string) => `${process.cwd()}/${path}`;

const allowed: [file: string, code: string][] = [
  ['shared/src/common/x.ts', "import { z } from 'zod';"],
  ['shared/src/common/x.ts', "import { sha256 } from '@noble/hashes/sha2.js';"],
  ['shared/src/common/x.ts', "import { a } from './errors.js';"],
  ['shared/src/node/x.ts', "import { readFile } from 'node:fs/promises';"],
  ['shared/src/node/x.ts', "import { AirlockError } from '@airlock/shared/common';"],
  ['shared/src/node/x.ts', "import { extract } from 'tar-stream';"],
  ['agent/src/x.ts', "import { ContentStore } from '@airlock/shared/node';"],
  ['agent/src/x.ts', "import chokidar from 'chokidar';"],
  ['apps/console/src/registry/x.ts', "import Database from 'better-sqlite3';"],
  ['apps/console/src/main/x.ts', "import { app } from 'electron';"],
  ['apps/console/src/main/x.ts', "import { openRegistry } from '../registry/registry.js';"],
  ['apps/console/src/renderer/x.tsx', "import { useState } from 'react';"],
  ['apps/console/src/renderer/x.tsx', "import { calls } from '../api/contract.js';"],
  ['apps/console/src/cli/x.ts', "import { initKeys } from '../registry/trust-setup.js';"],
  ['apps/console/src/registry/repos/x.ts', "import { ROLES } from '../../api/enums.js';"],
  ['apps/console/src/backend/x.ts', "import { authorize } from '../registry/auth.js';"],
  ['apps/console/src/web/x.ts', "import { RegistryClient } from '../backend/registry-client.js';"],
  ['apps/console/src/cli/x.ts', "import { serveWebConsole } from '../web/server.js';"],
  ['apps/console/src/preload/x.ts', "import { contextBridge } from 'electron';"],
  ['apps/console/src/preload/x.ts', "import { CHANNELS } from '../api/bridge.js';"],
  ['shared/src/common/x.test.ts', "import { readFile } from 'node:fs/promises';"],
  ['test/helpers/x.ts', "import { readFile } from 'node:fs';"],
];

const refused: [file: string, code: string, why: RegExp][] = [
  ['shared/src/common/x.ts', "import { readFile } from 'node:fs';", /outside Node/],
  ['shared/src/common/x.ts', "import { readFile } from 'fs';", /outside Node/],
  ['shared/src/common/x.ts', "import { ContentStore } from '../node/content-store.js';", /shared\/common may not import shared\/node/],
  ['shared/src/common/x.ts', "import React from 'react';", /package "react"/],
  ['shared/src/common/x.ts', "export * from 'tar-stream';", /package "tar-stream"/],
  ['shared/src/common/x.ts', "const m = await import('node:path');", /outside Node/],
  ['shared/src/node/x.ts', "import { x } from '@airlock/agent';", /not an entry point/],
  ['agent/src/x.ts', "import { x } from '@airlock/console';", /not an entry point/],
  ['agent/src/x.ts', "import { x } from '../../apps/console/src/registry/registry.js';", /agent may not import console\/registry/],
  ['agent/src/x.ts', "import { app } from 'electron';", /may not import Electron/],
  ['agent/src/x.ts', "import { x } from '../../test/helpers/tmp.js';", /outside every layer/],
  ['apps/console/src/registry/x.ts', "import { app } from 'electron';", /may not import Electron/],
  ['apps/console/src/registry/x.ts', "import { x } from '../../../../agent/src/daemon.js';", /console\/registry may not import agent/],
  ['apps/console/src/registry/x.ts', "import { x } from '../cli/main.js';", /may not import console\/cli/],
  ['apps/console/src/renderer/x.tsx', "import { readFile } from 'node:fs';", /outside Node/],
  ['apps/console/src/renderer/x.tsx', "import { openRegistry } from '../registry/registry.js';", /renderer may not import console\/registry/],
  ['apps/console/src/renderer/x.tsx', "import { ContentStore } from '@airlock/shared/node';", /renderer may not import shared\/node/],
  ['apps/console/src/renderer/x.tsx', "import { ipcRenderer } from 'electron';", /may not import Electron/],
  ['apps/console/src/api/x.ts', "import { openRegistry } from '../registry/registry.js';", /api may not import console\/registry/],
  ['apps/console/src/preload/x.ts', "import { readFileSync } from 'node:fs';", /outside Node/],
  ['apps/console/src/cli/x.ts', "const fs = require('react-dom');", /package "react-dom"/],
  ['apps/console/src/backend/x.ts', "import { app } from 'electron';", /may not import Electron/],
  ['apps/console/src/backend/x.ts', "import { serveWebConsole } from '../web/server.js';", /backend may not import console\/web/],
  ['apps/console/src/web/x.ts', "import { setupMain } from '../main/setup.js';", /web may not import console\/main/],
  ['apps/console/src/renderer/x.tsx', "import { Dispatcher } from '../backend/dispatcher.js';", /renderer may not import console\/backend/],
  ['apps/console/src/preload/x.ts', "import { registerIpc } from '../main/ipc.js';", /preload may not import console\/main/],
  ['apps/console/src/api/x.ts', "import { Sessions } from '../backend/sessions.js';", /api may not import console\/backend/],
];

tester.run('import-boundaries', importBoundaries, {
  valid: allowed.map(([file, code]) => ({ filename: at(file), code })),
  invalid: refused.map(([file, code, why]) => ({ filename: at(file), code, errors: [{ message: why }] })),
});
