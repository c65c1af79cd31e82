import { z } from 'zod';

/**
 * Messages between a transport (the web server, Electron main) and the registry process. The
 * registry process parses every message it receives: a transport bug or a compromised peer cannot
 * smuggle anything but these shapes in.
 */
export const ToRegistrySchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('call'), id: z.int().min(1), name: z.string().max(100), input: z.unknown(), session: z.string().max(200).optional() }),
  z.strictObject({ type: z.literal('cancel'), id: z.int().min(1) }),
  z.strictObject({ type: z.literal('shutdown') }),
]);
export type ToRegistry = z.infer<typeof ToRegistrySchema>;

export type FromRegistry =
  | { type: 'ready' }
  | { type: 'failed'; error: { code: string; message: string } }
  | { type: 'answer'; id: number; answer: unknown }
  | { type: 'progress'; id: number; progress: unknown }
  | { type: 'closed' };

/** Both ends of a message channel look like this: a child process's IPC channel, an Electron utility process's port. */
export interface MessagePort {
  post(message: unknown): void;
  onMessage(handler: (message: unknown) => void): void;
}
