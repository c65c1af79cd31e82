/**
 * One measured operation in its own process, so that its peak RSS is its own. Prints one JSON line:
 * { seconds, maxRssMiB, ... }.
 */
import { readFile } from 'node:fs/promises';
import { fromHex, keyPairFromSeed, openInitialRoot, parseEnvelope, signBundleManifest, signerFromSecretKey, slotOf, toTimestamp, VERSION_SCHEMA, VersionManifestSchema, type Digest } from '@airlock/shared/common';
import { ContentStore, verifyBundleFile, writeBundleFile } from '@airlock/shared/node';
import { unlock } from '../../apps/console/src/registry/auth.js';
import { resolveHome } from '../../apps/console/src/registry/home.js';
import { importModel } from '../../apps/console/src/registry/services/import.js';
import { initRegistry } from '../../apps/console/src/registry/services/init.js';

const [op, ...args] = process.argv.slice(2);
let started = process.hrtime.bigint();
const report = (extra: Record<string, unknown>) => {
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  process.stdout.write(`${JSON.stringify({ seconds, maxRssMiB: process.resourceUsage().maxRSS / 1024, ...extra })}\n`);
};

if (op === 'put') {
  const [storeDir, file] = args as [string, string];
  const store = await ContentStore.open(storeDir);
  report({ ...(await store.putFile(file)) });
} else if (op === 'write') {
  const [storeDir, digest, size, out, seedHex] = args as [string, Digest, string, string, string];
  const store = await ContentStore.open(storeDir);
  const now = Date.now();
  const { envelope } = signBundleManifest(
    {
      schema: 'airlock.bundle/v1',
      bundleId: 'bench-000000000001',
      channel: 'bench',
      sequence: 1,
      issuedAt: toTimestamp(now),
      expiresAt: toTimestamp(now + 86_400_000),
      targets: { environment: 'bench', hosts: [] },
      slots: {
        main: slotOf(
          VersionManifestSchema.parse({ schema: VERSION_SCHEMA, model: { name: 'bench', kind: 'other' }, components: [{ path: 'weights.bin', digest, size: Number(size), role: 'weights' }], runtime: { command: 'node', port: 9000 }, health: {} }),
          1,
        ),
      },
      blobs: [{ digest, size: Number(size), included: true }],
    },
    [signerFromSecretKey(keyPairFromSeed(fromHex(seedHex)).secretKey)],
  );
  await writeBundleFile(out, { manifest: envelope, roots: new Map(), store });
  report({});
} else if (op === 'verify') {
  const [bundle, rootFile, stagingDir] = args as [string, string, string];
  const root = openInitialRoot(parseEnvelope(await readFile(rootFile)));
  const verified = await verifyBundleFile(bundle, { trust: { root, highWaterMs: 0 }, stagingDir });
  report({ blobs: verified.blobs.length });
} else if (op === 'import') {
  // Only the import is timed: creating the registry and unlocking the key are set-up.
  const [homeDir, file] = args as [string, string];
  const home = resolveHome(homeDir);
  const { reg } = await initRegistry(home, { admin: 'bench', passphrase: 'bench', extraRootKeys: 0, rootThreshold: 1, rootExpiresDays: 1 });
  const actor = await unlock(reg, 'bench', 'bench');
  started = process.hrtime.bigint();
  const { version } = await importModel(reg, actor, { path: file, model: 'bench', kind: 'other' });
  report({ digest: version.digest });
  reg.close();
} else {
  process.stderr.write(`unknown op ${op}\n`);
  process.exit(2);
}
