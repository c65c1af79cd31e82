export * from './atomic-file.js';
export * from './content-store.js';
export * from './key-file.js';
export * from './bundle-layout.js';
export * from './bundle-writer.js';
export * from './bundle-reader.js';
export * from './root-file.js';
export * from './ed25519-native.js';
