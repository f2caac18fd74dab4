import { MemoryReplayGuard } from '../../src/adapters/memory/memory-replay-guard.ts';
import { openSqliteDatabase } from '../../src/adapters/sqlite/sqlite-database.ts';
import { SqliteReplayGuard } from '../../src/adapters/sqlite/sqlite-replay-guard.ts';
import { describeReplayGuardContract } from './replay-guard.contract.ts';

describeReplayGuardContract('memory', ({ now }) => new MemoryReplayGuard({ now }));
describeReplayGuardContract('sqlite', ({ now }) => new SqliteReplayGuard({ db: openSqliteDatabase(':memory:'), now }));
