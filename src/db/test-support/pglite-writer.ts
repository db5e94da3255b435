/**
 * Child process for the kill -9 test: opens a PGlite data directory and commits tasks one transaction at a
 * time, printing `committed <n>` after each commit, until it is killed.
 */
import { openDb } from '../index.ts';
import { insertTask } from '../queries/tasks.ts';

const dataDir = process.argv[2];
if (!dataDir) throw new Error('usage: pglite-writer.ts DATA_DIR');
const db = await openDb({ dataDir });
for (let n = 1; ; n++) {
  await insertTask(db, {
    task_type: 'InstructTextTask',
    is_organic: false,
    status: 'pending',
    model_id: `org/model-${n}`,
    ds: `org/ds-${n}`,
    account_id: '00000000-0000-0000-0000-000000000000',
    hours_to_complete: 2,
    created_at: new Date().toISOString(),
    field_instruction: 'instruction',
    field_output: 'output',
  });
  process.stdout.write(`committed ${n}\n`);
}
