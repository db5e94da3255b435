export * from './doc.ts';
export * from './format.ts';
export * from './load.ts';
export * from './schema.ts';
export * from './settings.ts';
