import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '../..');

/** Type-checks one probe file with a project's real compiler options; returns the error messages. */
function compile(project: string, code: string): string[] {
  const configPath = join(REPO, project, 'tsconfig.json');
  const { config } = ts.readConfigFile(configPath, ts.sys.readFile);
  const parsed = ts.parseJsonConfigFileContent(config, ts.sys, dirname(configPath));
  const probe = join(dirname(configPath), 'probe__.ts');
  const options = { ...parsed.options, noEmit: true, composite: false, declaration: false };
  const host = ts.createCompilerHost(options);
  const read = host.readFile.bind(host);
  const exists = host.fileExists.bind(host);
  host.readFile = (f) => (f === probe ? code : read(f));
  host.fileExists = (f) => f === probe || exists(f);
  const program = ts.createProgram([probe], options, host);
  return ts.getPreEmitDiagnostics(program).filter((d) => d.file?.fileName === probe).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
}

describe('one tsconfig per runtime', () => {
  /** null: compiles; otherwise the one diagnostic the missing runtime must cause (not any error at all). */
  const cases: [project: string, code: string, error: RegExp | null][] = [
    ['shared/src/common', 'export const n: number = [1, 2].at(0) ?? 0;', null],
    ['shared/src/common', "import { readFileSync } from 'node:fs'; export const f = readFileSync;", /Cannot find (module|name) 'node:fs'/],
    ['shared/src/common', 'export const t = document.title;', /Cannot find name 'document'/],
    ['shared/src/common', 'export const b = Buffer.from("x");', /Cannot find name 'Buffer'/],
    ['shared/src/common', 'export const p = process.pid;', /Cannot find name 'process'/],
    ['shared/src/node', "import { readFileSync } from 'node:fs'; export const f = readFileSync;", null],
    ['shared/src/node', 'export const t = document.title;', /Cannot find name 'document'/],
    ['agent', 'export const p: number = process.pid;', null],
    ['agent', 'export const t = document.title;', /Cannot find name 'document'/],
    ['agent', 'export const w = window.location;', /Cannot find name 'window'/],
    ['apps/console', 'export const t = document.title;', /Cannot find name 'document'/],
    ['apps/console/src/api', 'export const t = document.title;', /Cannot find name 'document'/],
    ['apps/console/src/api', 'export const p = process.pid;', /Cannot find name 'process'/],
    ['apps/console/src/renderer', 'export const t: string = document.title;', null],
    ['apps/console/src/renderer', 'export const p = process.pid;', /Cannot find name 'process'/],
    ['apps/console/src/renderer', 'export const b = Buffer.from("x");', /Cannot find name 'Buffer'/],
  ];
  it.each(cases)('%s: `%s` fails with: %s', (project, code, error) => {
    const errors = compile(project, code);
    if (error === null) expect(errors).toEqual([]);
    else expect(errors).toEqual([expect.stringMatching(error)]);
  });
});
