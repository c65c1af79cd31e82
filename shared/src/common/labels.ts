import { AirlockError } from './errors.js';

/** Host labels as written on a command line: "site=plant-2,gpu=none". */
export function parseLabels(text: string | undefined): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const pair of (text ?? '').split(',').filter(Boolean)) {
    const [k, v, ...rest] = pair.split('=');
    if (!k || v === undefined || rest.length > 0 || !/^[a-z0-9][a-z0-9._/-]{0,62}$/.test(k)) throw new AirlockError('USAGE', `"${pair}" is not a label: write key=value.`);
    labels[k] = v;
  }
  return labels;
}
