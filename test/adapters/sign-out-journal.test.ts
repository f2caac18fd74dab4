import { expect } from 'chai';
import { mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalSignOutJournal } from '../../src/adapters/journal/local-sign-out-journal.ts';
import { warningsInto } from '../support/captured-logs.ts';

describe('LocalSignOutJournal', () => {
  let dir: string;
  let file: string;
  const at = Date.UTC(2030, 0, 1);

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'journal-'));
    file = join(dir, 'data', 'sign-out-journal.json');
  });

  it('keeps entries in order and tells which sessions they name', async () => {
    const journal = new LocalSignOutJournal({ file });
    expect(await journal.append({ channel: 'front-channel', sid: 'sid-a', at })).to.equal(true);
    expect(await journal.append({ channel: 'back-channel', subject: 'sub-b', at: at + 1, jti: 'j1', replayableUntil: at + 300_000 })).to.equal(true);
    expect(journal.pending().map((entry) => entry.sid ?? entry.subject)).to.deep.equal(['sid-a', 'sub-b']);
    expect(journal.names({ sid: 'sid-a', subject: 'someone' })).to.equal(true);
    expect(journal.names({ sid: 'sid-x', subject: 'sub-b' })).to.equal(true);
    expect(journal.names({ sid: 'sid-x', subject: 'sub-x' })).to.equal(false);
    expect(journal.names({})).to.equal(false);
  });

  it('survives a restart: a new instance on the same file sees what was appended and not removed', async () => {
    const first = new LocalSignOutJournal({ file });
    await first.append({ channel: 'front-channel', sid: 'sid-a', at });
    await first.append({ channel: 'front-channel', sid: 'sid-b', at });
    await first.remove(first.pending()[0]!.id);
    const restarted = new LocalSignOutJournal({ file });
    expect(restarted.pending().map((entry) => entry.sid)).to.deep.equal(['sid-b']);
  });

  it('writes only what a sign-out needs, readable by this user only', async () => {
    const journal = new LocalSignOutJournal({ file });
    await journal.append({ channel: 'back-channel', sid: 'sid-a', at, jti: 'jti-1', replayableUntil: at + 1 });
    const [entry] = JSON.parse(readFileSync(file, 'utf8')) as Array<Record<string, unknown>>;
    expect(Object.keys(entry!).sort()).to.deep.equal(['at', 'channel', 'id', 'jti', 'replayableUntil', 'sid']);
    expect(statSync(file).mode & 0o777).to.equal(0o600);
    expect(readdirSync(join(dir, 'data')), 'no temporary file left').to.deep.equal(['sign-out-journal.json']);
  });

  it('refuses an entry when full in entries, and in bytes, adding nothing', async () => {
    const byCount = new LocalSignOutJournal({ file, maxEntries: 2 });
    expect(await byCount.append({ channel: 'front-channel', sid: 'a', at })).to.equal(true);
    expect(await byCount.append({ channel: 'front-channel', sid: 'b', at })).to.equal(true);
    expect(await byCount.append({ channel: 'front-channel', sid: 'c', at })).to.equal(false);
    expect(byCount.pending()).to.have.length(2);
    const bySize = new LocalSignOutJournal({ maxBytes: 200 });
    expect(await bySize.append({ channel: 'front-channel', sid: 'x'.repeat(50), at })).to.equal(true);
    expect(await bySize.append({ channel: 'front-channel', sid: 'y'.repeat(150), at })).to.equal(false);
    expect(bySize.pending()).to.have.length(1);
  });

  it('moves an unreadable file aside with a warning rather than losing it silently', () => {
    const warnings: string[] = [];
    new LocalSignOutJournal({ file }); // creates the folder
    writeFileSync(file, '{not json');
    const journal = new LocalSignOutJournal({ file, logger: warningsInto(warnings) });
    expect(journal.pending()).to.deep.equal([]);
    expect(warnings).to.have.length(1);
    expect(readdirSync(join(dir, 'data')).some((name) => name.startsWith('sign-out-journal.json.unreadable-'))).to.equal(true);
  });

  it('keeps entries in memory only without a file', async () => {
    const journal = new LocalSignOutJournal();
    await journal.append({ channel: 'front-channel', sid: 'a', at });
    expect(journal.pending()).to.have.length(1);
    await journal.remove('unknown-id');
    expect(journal.pending()).to.have.length(1);
  });
});
