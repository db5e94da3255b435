/** Process-isolation utilities shared by everything that runs untrusted programs (the trainer's local executor). */
export * from './cgroup.ts';
export * from './detect.ts';
export * from './launch.ts';
export * from './usage.ts';
