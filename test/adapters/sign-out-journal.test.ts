import { expect } from 'chai';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SignOutJournalInUse } from '../../src/adapters/journal/journal-file-lock.ts';
import { SIGN_IN_CLOCK_SKEW_MS } from '../../src/domain/sign-out-scope.ts';
import { LocalSignOutJournal } from '../../src/adapters/journal/local-sign-out-journal.ts';
import { warningsInto } from '../support/captured-logs.ts';

const ADAPTER = fileURLToPath(new URL('../../src/adapters/journal/local-sign-out-journal.ts', import.meta.url));

describe('LocalSignOutJournal', () => {
  let dir: string;
  let file: string;
  const at = Date.UTC(2030, 0, 1);

  const opened: LocalSignOutJournal[] = [];
  /** A journal on a file, closed after the test (it holds its file until then). */
  function journal(deps: ConstructorParameters<typeof LocalSignOutJournal>[0] = {}): LocalSignOutJournal {
    const created = new LocalSignOutJournal(deps);
    opened.push(created);
    return created;
  }

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'journal-'));
    file = join(dir, 'data', 'sign-out-journal.json');
  });
  afterEach(async () => {
    for (const each of opened.splice(0)) await each.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps entries in order and tells which sessions they name', async () => {
    const journal = new LocalSignOutJournal({ file });
    opened.push(journal);
    expect(await journal.append({ channel: 'front-channel', sid: 'sid-a', at })).to.equal(true);
    expect(await journal.append({ channel: 'back-channel', subject: 'sub-b', at: at + 1, jti: 'j1', replayableUntil: at + 300_000 })).to.equal(true);
    expect(journal.pending().map((entry) => entry.sid ?? entry.subject)).to.deep.equal(['sid-a', 'sub-b']);
    expect(journal.names({ sid: 'sid-a', subject: 'someone' })).to.equal(true);
    expect(journal.names({ sid: 'sid-x', subject: 'sub-b' })).to.equal(true);
    expect(journal.names({ sid: 'sid-x', subject: 'sub-x' })).to.equal(false);
    expect(journal.names({})).to.equal(false);
  });

  it("names, for an entry with a sid and a subject, only that subject's sessions of the sid (and those with no subject recorded)", async () => {
    const journal = new LocalSignOutJournal({ file });
    opened.push(journal);
    await journal.append({ channel: 'back-channel', sid: 'sid-a', subject: 'sub-a', at, jti: 'j1', replayableUntil: at + 300_000 });
    expect(journal.names({ sid: 'sid-a', subject: 'sub-a' })).to.equal(true);
    expect(journal.names({ sid: 'sid-a' })).to.equal(true);
    expect(journal.names({ sid: 'sid-a', subject: 'sub-b' }), "another user's session of that sid").to.equal(false);
    expect(journal.names({ sid: 'sid-b', subject: 'sub-a' }), "the user's session of another sid").to.equal(false);
  });

  it('never names a session signed in after the entry came, whatever else it names', async () => {
    const journal = new LocalSignOutJournal({ file });
    opened.push(journal);
    await journal.append({ channel: 'back-channel', subject: 'sub-a', at, jti: 'j1', replayableUntil: at + 300_000 });
    await journal.append({ channel: 'front-channel', sid: 'sid-b', at });
    expect(journal.names({ subject: 'sub-a', signedInAt: at - 1 }), 'signed in before').to.equal(true);
    expect(journal.names({ subject: 'sub-a' }), 'no sign-in time recorded').to.equal(true);
    expect(journal.names({ subject: 'sub-a', signedInAt: at + SIGN_IN_CLOCK_SKEW_MS }), "within two instances' clock skew: before").to.equal(true);
    expect(journal.names({ subject: 'sub-a', signedInAt: at + SIGN_IN_CLOCK_SKEW_MS + 1 }), 'signed in after: a sign-in at the provider since').to.equal(false);
    expect(journal.names({ sid: 'sid-b', signedInAt: at + SIGN_IN_CLOCK_SKEW_MS + 1 })).to.equal(false);
  });

  it('survives a restart: closed, then opened on the same file, it has what was appended and not removed', async () => {
    const first = journal({ file });
    await first.append({ channel: 'front-channel', sid: 'sid-a', at });
    await first.append({ channel: 'front-channel', sid: 'sid-b', at });
    await first.append({ channel: 'back-channel', subject: 'sub-c', at, jti: 'j', replayableUntil: at + 1 });
    await first.remove(first.pending()[0]!.id);
    await first.close();
    const restarted = journal({ file });
    expect(restarted.pending().map((entry) => entry.sid ?? entry.subject)).to.deep.equal(['sid-b', 'sub-c']);
    expect(restarted.pending()[1]).to.include({ jti: 'j', replayableUntil: at + 1 });
  });

  it('writes only what a sign-out needs, readable by this user only', async () => {
    const journal = new LocalSignOutJournal({ file });
    opened.push(journal);
    await journal.append({ channel: 'back-channel', sid: 'sid-a', at, jti: 'jti-1', replayableUntil: at + 1 });
    const [entry] = JSON.parse(readFileSync(file, 'utf8')) as Array<Record<string, unknown>>;
    expect(Object.keys(entry!).sort()).to.deep.equal(['at', 'channel', 'id', 'jti', 'replayableUntil', 'sid']);
    expect(statSync(file).mode & 0o777).to.equal(0o600);
    expect(readdirSync(join(dir, 'data')).sort(), 'no temporary file left').to.deep.equal(['sign-out-journal.json', 'sign-out-journal.json.lock']);
  });

  it('refuses an entry when full in entries, and in bytes, adding nothing', async () => {
    const verified = (sid: string) => ({ channel: 'back-channel', sid, at, jti: `jti-${sid}`, replayableUntil: at + 1 }) as const;
    const byCount = journal({ file, maxEntries: 2 });
    expect(await byCount.append(verified('a'))).to.equal(true);
    expect(await byCount.append(verified('b'))).to.equal(true);
    expect(await byCount.append(verified('c'))).to.equal(false);
    expect(byCount.pending()).to.have.length(2);
    const bySize = new LocalSignOutJournal({ maxBytes: 300 });
    expect(await bySize.append(verified('x'.repeat(50)))).to.equal(true);
    expect(await bySize.append(verified('y'.repeat(150)))).to.equal(false);
    expect(bySize.pending()).to.have.length(1);
  });

  describe('what strangers may add: unverified (front-channel) entries get a share of it', () => {
    const front = (sid: string, when = at) => ({ channel: 'front-channel', sid, at: when }) as const;
    const back = (sid: string, when = at) => ({ channel: 'back-channel', sid, at: when, jti: `jti-${sid}`, replayableUntil: when + 300_000 }) as const;

    it('fills at most half its entries with front-channel ones, and keeps the rest for verified back-channel ones', async () => {
      const journal = new LocalSignOutJournal({ maxEntries: 10 });
      const fronts = [];
      for (let i = 0; i < 7; i++) fronts.push(await journal.append(front(`junk-${i}`)));
      expect(fronts, 'five of ten').to.deep.equal([true, true, true, true, true, false, false]);
      const backs = [];
      for (let i = 0; i < 6; i++) backs.push(await journal.append(back(`sid-${i}`)));
      expect(backs, 'the other five').to.deep.equal([true, true, true, true, true, false]);
      expect(journal.pending().filter((entry) => entry.channel === 'front-channel')).to.have.length(5);
    });

    it('fills at most half its bytes with front-channel ones (long sids)', async () => {
      const journal = new LocalSignOutJournal({ maxBytes: 4096 });
      let accepted = 0;
      while (await journal.append(front(`${accepted}-${'x'.repeat(250)}`))) accepted++;
      expect(Buffer.byteLength(JSON.stringify(journal.pending()))).to.be.at.most(2048);
      expect(accepted).to.equal(5); // 355 bytes each: a sixth would pass 2 KB
      expect(await journal.append(back('y'.repeat(250))), 'a verified one still fits').to.equal(true);
    });

    it('adds at most maxUnverifiedPerMinute front-channel entries in a minute (by their time), across all senders', async () => {
      const journal = new LocalSignOutJournal({ maxUnverifiedPerMinute: 3 });
      const first = [];
      for (let i = 0; i < 4; i++) first.push(await journal.append(front(`a-${i}`, at + i * 1000)));
      expect(first).to.deep.equal([true, true, true, false]);
      expect(await journal.append(back('verified', at + 5000)), 'verified ones are not rated').to.equal(true);
      expect(await journal.append(front('b-0', at + 59_999)), 'the oldest is still within the minute').to.equal(false);
      expect(await journal.append(front('b-1', at + 60_000)), 'a minute after the first').to.equal(true);
      expect(journal.pending().map((entry) => entry.sid)).to.deep.equal(['a-0', 'a-1', 'a-2', 'verified', 'b-1']);
    });

    it('lets a sid the instance knows past the share and the rate, up to the whole journal', async () => {
      const journal = new LocalSignOutJournal({ maxEntries: 10, maxUnverifiedPerMinute: 3, knownSid: (sid) => sid.startsWith('known-') });
      for (let i = 0; i < 3; i++) expect(await journal.append(front(`junk-${i}`))).to.equal(true);
      expect(await journal.append(front('junk-3')), 'the rate is spent').to.equal(false);
      const known = [];
      for (let i = 0; i < 8; i++) known.push(await journal.append(front(`known-${i}`)));
      expect(known, 'seven more fill the journal').to.deep.equal([true, true, true, true, true, true, true, false]);
      expect(journal.pending()).to.have.length(10);
    });

    it('holds one entry per front-channel sid and per logout token: a repeat is accepted, not added', async () => {
      const journal = new LocalSignOutJournal({ maxEntries: 4, knownSid: (sid) => sid === 'known' });
      for (let i = 0; i < 10; i++) expect(await journal.append(front('known'))).to.equal(true);
      for (let i = 0; i < 10; i++) expect(await journal.append(back('b'))).to.equal(true);
      expect(journal.pending().map((entry) => [entry.channel, entry.sid])).to.deep.equal([
        ['front-channel', 'known'],
        ['back-channel', 'b'],
      ]);
      expect(await journal.append({ ...back('b'), jti: 'another-token' }), 'another token for the same sid is another entry').to.equal(true);
      expect(journal.pending()).to.have.length(3);
    });

    it('adds one entry for a burst of one sid or one logout token arriving together, each answered as the first', async () => {
      const journal = new LocalSignOutJournal({ maxEntries: 10, knownSid: (sid) => sid === 'known' });
      const answers = await Promise.all([...Array.from({ length: 20 }, () => journal.append(front('known'))), ...Array.from({ length: 20 }, () => journal.append(back('b')))]);
      expect(answers.every(Boolean)).to.equal(true);
      expect(journal.pending().map((entry) => [entry.channel, entry.sid])).to.deep.equal([
        ['front-channel', 'known'],
        ['back-channel', 'b'],
      ]);
      expect(await journal.append(back('verified')), 'room is left for others').to.equal(true);
    });
  });

  it('refuses a file that is no journal (a mistyped path), leaving it as it is', () => {
    mkdirSync(join(dir, 'data'));
    for (const text of ['SESSION_KEYS=abc\n', '{"a":1}', '']) {
      writeFileSync(file, text);
      expect(() => new LocalSignOutJournal({ file }), JSON.stringify(text)).to.throw(/something other than a sign-out journal/).with.property('code', 'NOT_A_SIGN_OUT_JOURNAL');
      expect(readFileSync(file, 'utf8')).to.equal(text);
    }
    expect(readdirSync(join(dir, 'data')).filter((name) => name.includes('unreadable'))).to.deep.equal([]);
  });

  it('moves a damaged journal aside with a warning rather than losing it silently', () => {
    const warnings: string[] = [];
    mkdirSync(join(dir, 'data'));
    writeFileSync(file, '[{"id":"e1","chan');
    const journal = new LocalSignOutJournal({ file, logger: warningsInto(warnings) });
    opened.push(journal);
    expect(journal.pending()).to.deep.equal([]);
    expect(warnings).to.have.length(1);
    expect(readdirSync(join(dir, 'data')).some((name) => name.startsWith('sign-out-journal.json.unreadable-'))).to.equal(true);
  });

  it('keeps the sign-outs of a file holding entries that are not sign-outs, and moves the file aside', () => {
    const warnings: string[] = [];
    mkdirSync(join(dir, 'data'));
    const good = { id: 'e1', channel: 'front-channel', sid: 'sid-1', at };
    writeFileSync(file, JSON.stringify([null, good, { id: 'e2', channel: 'front-channel', at }, 'x', { ...good, id: 'e3', channel: 'app' }]));
    const journal = new LocalSignOutJournal({ file, logger: warningsInto(warnings) });
    opened.push(journal);

    expect(journal.pending()).to.deep.equal([good]);
    expect(journal.names({ sid: 'sid-1' })).to.equal(true);
    expect(journal.names({ sid: 'sid-2', subject: 'someone' }), 'answers, never throws').to.equal(false);
    expect(warnings).to.have.length(1);
    expect(readdirSync(join(dir, 'data')).some((name) => name.startsWith('sign-out-journal.json.unreadable-'))).to.equal(true);
    expect(JSON.parse(readFileSync(file, 'utf8')), 'the sign-outs written back at once').to.deep.equal([good]);
  });

  it('adds nothing when the entry cannot be written: a refused sign-out is never applied later', async () => {
    // Four entries, two of them front-channel ones: sid-1 and sid-3 fit only if sid-2 took no place.
    const journal = new LocalSignOutJournal({ file, maxEntries: 4 });
    opened.push(journal);
    expect(await journal.append({ channel: 'front-channel', sid: 'sid-1', at })).to.equal(true);
    // The atomic write goes through a temporary file beside the journal: a folder in its place fails
    // it (EISDIR), as a full disk would.
    const temporary = `${file}.${process.pid}.tmp`;
    mkdirSync(temporary);
    let failed = false;
    await journal.append({ channel: 'front-channel', sid: 'sid-2', at }).catch(() => (failed = true));
    rmSync(temporary, { recursive: true });
    expect(failed, 'the append failed').to.equal(true);
    expect(journal.pending().map((entry) => entry.sid)).to.deep.equal(['sid-1']);
    expect(journal.names({ sid: 'sid-2' })).to.equal(false);
    expect(await journal.append({ channel: 'front-channel', sid: 'sid-3', at }), 'its place is free').to.equal(true);
    expect(JSON.parse(readFileSync(file, 'utf8')).map((entry: { sid: string }) => entry.sid)).to.deep.equal(['sid-1', 'sid-3']);
  });

  it('answers a repeat as held only once the entry is written: a repeat made while the write fails fails too', async () => {
    const journal = new LocalSignOutJournal({ file });
    opened.push(journal);
    await journal.append({ channel: 'front-channel', sid: 'sid-0', at });
    const temporary = `${file}.${process.pid}.tmp`;
    mkdirSync(temporary); // fails the writes, as a full disk would
    const outcomes = await Promise.allSettled([
      journal.append({ channel: 'front-channel', sid: 'sid-1', at }),
      journal.append({ channel: 'front-channel', sid: 'sid-1', at }),
    ]);
    rmSync(temporary, { recursive: true });
    expect(outcomes.map((outcome) => outcome.status), 'neither was made durable').to.deep.equal(['rejected', 'rejected']);
    expect(journal.pending().map((entry) => entry.sid)).to.deep.equal(['sid-0']);
    expect(await journal.append({ channel: 'front-channel', sid: 'sid-1', at })).to.equal(true);
    expect(await journal.append({ channel: 'front-channel', sid: 'sid-1', at }), 'now held').to.equal(true);
    expect(JSON.parse(readFileSync(file, 'utf8')).map((entry: { sid: string }) => entry.sid)).to.deep.equal(['sid-0', 'sid-1']);
  });

  it('keeps entries in memory only without a file', async () => {
    const journal = new LocalSignOutJournal();
    await journal.append({ channel: 'front-channel', sid: 'a', at });
    expect(journal.pending()).to.have.length(1);
    await journal.remove('unknown-id');
    expect(journal.pending()).to.have.length(1);
  });

  describe('one process per file', () => {
    const lockOf = (of: string) => `${of}.lock`;

    it('refuses a second journal on the file while the first holds it, and opens it again once the first is closed', async () => {
      const first = journal({ file });
      await first.append({ channel: 'front-channel', sid: 'sid-a', at });
      expect(readFileSync(lockOf(file), 'utf8'), 'the lock names this process').to.equal(String(process.pid));

      expect(() => new LocalSignOutJournal({ file })).to.throw(SignOutJournalInUse).with.property('pid', process.pid);
      expect(first.pending(), 'the holder is untouched').to.have.length(1);

      const inFlight = first.append({ channel: 'front-channel', sid: 'sid-b', at });
      await first.close();
      await inFlight; // close waited for it
      expect(existsSync(lockOf(file)), 'the lock is released').to.equal(false);
      let refused: unknown;
      await first.append({ channel: 'front-channel', sid: 'too-late', at }).catch((error: unknown) => (refused = error));
      expect(refused, 'a closed journal promises nothing').to.be.instanceOf(Error);

      const second = journal({ file });
      expect(second.pending().map((entry) => entry.sid)).to.deep.equal(['sid-a', 'sid-b']);
    });

    it('refuses a file another live process holds, and takes it over, entries and all, once that process is killed', async () => {
      const holder = await journalInAnotherProcess(file);
      try {
        expect(() => new LocalSignOutJournal({ file })).to.throw(SignOutJournalInUse).with.property('pid', holder.pid);
      } finally {
        holder.kill('SIGKILL'); // no close: its lock stays behind, naming a process that is gone
        await once(holder, 'exit');
      }
      expect(readFileSync(lockOf(file), 'utf8')).to.equal(String(holder.pid));
      const next = journal({ file });
      expect(readFileSync(lockOf(file), 'utf8')).to.equal(String(process.pid));
      expect(next.pending().map((entry) => entry.sid)).to.deep.equal(['from-the-other-process']);
    });

    it('takes over a stale lock: a process that no longer runs, this pid held by no journal of it (a container restarted), an empty file', async () => {
      mkdirSync(join(dir, 'data'));
      const gone = spawnSync(process.execPath, ['-e', '']).pid;
      for (const stale of [String(gone), String(process.pid), '']) {
        writeFileSync(lockOf(file), stale);
        const taken = new LocalSignOutJournal({ file });
        expect(readFileSync(lockOf(file), 'utf8'), JSON.stringify(stale)).to.equal(String(process.pid));
        await taken.close();
      }
    });

    it('takes in a journal left at the former default path, durably, then removes that file', async () => {
      const former = file;
      const current = join(dir, 'data', 'sign-out-journal-app-a.json');
      mkdirSync(join(dir, 'data'));
      writeFileSync(former, JSON.stringify([{ id: 'old-1', channel: 'front-channel', sid: 'sid-old', at }]));
      const first = journal({ file: current });
      await first.append({ channel: 'front-channel', sid: 'sid-new', at: at + 1 });
      await first.close();

      const upgraded = journal({ file: current, formerFile: former });
      expect(upgraded.pending().map((entry) => entry.sid)).to.deep.equal(['sid-old', 'sid-new']);
      expect(existsSync(former), 'the former file is gone').to.equal(false);
      await upgraded.close();
      expect(journal({ file: current }).pending().map((entry) => entry.sid), 'written before it was removed').to.deep.equal(['sid-old', 'sid-new']);
    });
  });
});

/** A child process holding a journal on `file`, with one entry in it; resolves once it holds it. */
async function journalInAnotherProcess(file: string): Promise<ChildProcess> {
  const source = [
    `import { LocalSignOutJournal } from ${JSON.stringify(ADAPTER)};`,
    `const journal = new LocalSignOutJournal({ file: ${JSON.stringify(file)} });`,
    "await journal.append({ channel: 'front-channel', sid: 'from-the-other-process', at: 1 });",
    "process.stdout.write('held\\n');",
    'setInterval(() => {}, 60_000);',
  ].join('\n');
  const child = spawn(process.execPath, ['--input-type=module', '--eval', source], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [exited] = await Promise.race([once(child.stdout!, 'data').then(() => [false]), once(child, 'exit').then(() => [true])]);
  if (exited) throw new Error('the other process could not open the journal');
  return child;
}
