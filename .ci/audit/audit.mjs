// audit.mjs runs the graphql-http audit suite (GraphQL over HTTP spec
// conformance) against a running server.
//
//   node .ci/audit/audit.mjs http://127.0.0.1:8080/graphql
//
// It prints one line per audit and a summary line, and exits 1 when any MUST
// audit fails (SHOULD and MAY failures are reported but do not fail the run).
// cmd/civicmap/audit_test.go runs it against a test server.
import { serverAudits } from 'graphql-http';

const url = process.argv[2];
if (!url) {
  console.error('usage: node audit.mjs <graphql-url>');
  process.exit(2);
}

const levels = ['MUST', 'SHOULD', 'MAY'];
const counts = Object.fromEntries(levels.map((l) => [l, { passed: 0, total: 0 }]));

// The audits run one after another so a failure's output stays in order and
// the server is not flooded.
for (const audit of serverAudits({ url, fetchFn: fetch })) {
  // "MAY NOT …" audits are MAY audits.
  const level = levels.find((l) => audit.name.startsWith(l + ' ')) ?? 'MAY';
  let result;
  try {
    result = await audit.fn();
  } catch (err) {
    // An audit throws only on a fatal problem (e.g. the server is not there).
    result = { status: 'error', reason: `audit threw: ${err?.message ?? err}` };
  }
  counts[level].total++;
  if (result.status === 'ok') {
    counts[level].passed++;
    console.log(`${level} ok ${audit.name}`);
    continue;
  }
  // A MUST failure is always an error, whatever the suite calls it.
  const status = level === 'MUST' ? 'error' : result.status === 'notice' ? 'warn' : result.status;
  console.log(`${level} ${status} ${audit.name}: ${result.reason}`);
  if (result.response) {
    const body = await result.response.text().catch(() => '');
    const ct = result.response.headers.get('content-type') ?? '';
    console.log(`    response: ${result.response.status} ${ct} ${body.slice(0, 300)}`);
  }
}

const summary = levels.map((l) => `${l} ${counts[l].passed}/${counts[l].total} passed`).join(', ');
console.log(`graphql-http audit: ${summary}`);
process.exit(counts.MUST.passed === counts.MUST.total ? 0 : 1);
