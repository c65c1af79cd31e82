/** A URL segment as typed: decoded when it is valid percent-encoding, as is when it is not (never a throw). */
export function segment(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}
