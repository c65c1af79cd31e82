/** CAS put, bundle write and bundle verify+stage against sha256sum and tar on the same file. */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildRoot, keyPairFromSeed, signerFromSecretKey, signRoot, toHex, toTimestamp } from '@airlock/shared/common';
import { best, fmt, makeFile, MiB, ours, SIZES, timed, type Measured } from './measure.js';

export async function benchFoundation(work: string, worker: string, print: (line: string) => void): Promise<void> {
  const seed = randomBytes(32);
  const pair = keyPairFromSeed(seed);
  const root = buildRoot({ version: 1, expiresAt: toTimestamp(Date.now() + 86_400_000), keys: [{ publicKey: pair.publicKey, roles: ['root', 'release', 'approver'] }] });
  const rootFile = join(work, 'root.json');
  await writeFile(rootFile, JSON.stringify(signRoot(root, [signerFromSecretKey(pair.secretKey)])));
  const row = (size: number, name: string, mine: Measured, ref: number, refSync?: number) =>
    print(
      `${String(size).padStart(5)} MiB  ${name.padEnd(34)} ${fmt(mine.seconds)} s ${fmt(size / mine.seconds, 0)} MiB/s  ref ${fmt(ref)} s  ratio ${fmt(mine.seconds / ref)}` +
        (refSync === undefined ? '                           ' : `  ref+sync ${fmt(refSync)} s ratio ${fmt(mine.seconds / refSync)}`) +
        `  peak RSS ${fmt(mine.maxRssMiB, 0)} MiB`,
    );

  for (const size of SIZES) {
    const dir = join(work, String(size));
    await mkdir(dir);
    const file = join(dir, 'weights.bin');
    await makeFile(file, size * MiB);
    timed(`cat ${file} > /dev/null`);

    let n = 0;
    const put = best(() => {
      const store = join(dir, `store-${n++}`);
      const r = ours(worker, 'put', [store, file]);
      execFileSync('rm', ['-rf', store]);
      return r;
    });
    row(size, 'CAS put vs sha256sum', put, best(() => ({ seconds: timed(`sha256sum ${file}`) })).seconds);

    const store = join(dir, 'store');
    const { digest } = ours(worker, 'put', [store, file]);
    const hex = digest!.slice(7);
    const bundle = join(dir, 'b.airlock');
    const write = best(() => ours(worker, 'write', [store, digest!, String(size * MiB), bundle, toHex(seed)]));
    const blobDir = join(store, 'blobs/sha256', hex.slice(0, 2));
    const tarOut = join(dir, 'ref.tar');
    const tarCf = (sync: boolean) => best(() => ({ seconds: timed(`tar cf ${tarOut} -C ${blobDir} ${hex}${sync ? ` && sync ${tarOut}` : ''}`) })).seconds;
    row(size, 'bundle write vs tar cf', write, tarCf(false), tarCf(true));

    const verify = best(() => {
      const staging = join(dir, 'staging');
      const r = ours(worker, 'verify', [bundle, rootFile, staging]);
      execFileSync('rm', ['-rf', staging]);
      return r;
    });
    const x = join(dir, 'x');
    const tarXf = (sync: boolean) =>
      best(() => {
        execFileSync('rm', ['-rf', x]);
        execFileSync('mkdir', [x]);
        return { seconds: timed(`tar xf ${tarOut} -C ${x}${sync ? ` && sync ${x}/${hex}` : ''} && sha256sum ${x}/${hex}`) };
      }).seconds;
    row(size, 'verify+stage vs tar xf+sha256sum', verify, tarXf(false), tarXf(true));

    if (size === Math.max(...SIZES)) {
      let m = 0;
      const imported = best(() => {
        const home = join(dir, `registry-${m++}`);
        const r = ours(worker, 'import', [home, file]);
        execFileSync('rm', ['-rf', home]);
        return r;
      });
      row(size, 'registry import vs sha256sum', imported, best(() => ({ seconds: timed(`sha256sum ${file}`) })).seconds);
    }
    await rm(dir, { recursive: true, force: true });
  }
}
