#!/usr/bin/env node
// The city app's main flows, run by a GraphQL client from another ecosystem (graphql-http's
// client, from npm) against a running server, with the operations clients use
// (graphql/operations/*.graphql): list the categories, submit a report, follow it by token,
// retry the submission (same report), and read a typed error in the caller's language; fetch
// the consent texts, submit with a contact on their version, keep the item on the device, list
// « my items » and follow one.
//
// Usage: node client-flows.mjs <url>   Exit 0 when every flow behaves, 1 otherwise.

import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createClient } from 'graphql-http';

const url = process.argv[2];
if (!url) {
  console.error('usage: node client-flows.mjs <url>');
  process.exit(2);
}

const operation = (name) =>
  readFileSync(new URL(`../../graphql/operations/${name}.graphql`, import.meta.url), 'utf8');

function clientFor(language) {
  return createClient({ url, headers: { 'accept-language': language } });
}

function execute(client, name, variables) {
  return new Promise((resolve, reject) => {
    let result;
    client.subscribe(
      { query: operation(name), variables },
      { next: (value) => (result = value), error: reject, complete: () => resolve(result) },
    );
  });
}

function check(condition, what) {
  if (!condition) throw new Error(what);
  console.log(`ok     ${what}`);
}

const english = clientFor('en');
const french = clientFor('fr');

try {
  const categories = await execute(english, 'Categories');
  const labels = categories.data.categories.groups.flatMap((g) => g.categories);
  check(labels.some((c) => c.code === 'pothole' && c.label === 'Pothole'), 'categories listed in English');

  const input = {
    categoryCode: 'pothole',
    latitude: 47.4712,
    longitude: -0.5502,
    description: "Nid-de-poule profond devant l'arrêt de bus",
    idempotencyKey: `node-client-${randomUUID()}`,
    channel: 'APP',
  };
  const created = (await execute(french, 'ReportCreate', { input })).data.reportCreate;
  check(created.errors.length === 0 && created.report.commune.name === 'Angers', 'report submitted and routed');
  check(/^ALM-\d{4}-\d{6}$/.test(created.report.reference), 'report has a public reference');

  const retried = (await execute(french, 'ReportCreate', { input })).data.reportCreate;
  check(
    retried.report.reference === created.report.reference && retried.trackingToken === created.trackingToken,
    'a retry with the same idempotency key returns the same report and token',
  );

  const tracked = (await execute(english, 'Tracked', { token: created.trackingToken })).data.tracked;
  check(
    tracked.errors.length === 0 && tracked.item.reference === created.report.reference,
    'the report is followed with its tracking token',
  );
  check(tracked.item.statusLabel === 'Submitted', 'its status reads in English');

  const refused = (
    await execute(french, 'ReportCreate', { input: { ...input, latitude: 123, idempotencyKey: `node-${randomUUID()}` } })
  ).data.reportCreate;
  check(
    refused.errors.length === 1 && refused.errors[0].code === 'LATITUDE_OUT_OF_RANGE' && refused.errors[0].message.startsWith('La latitude'),
    'a bad submission gets one typed error, in French',
  );

  const consent = (await execute(french, 'ConsentTexts', {})).data.consentTexts;
  check(
    consent.current && consent.language === 'fr' && consent.texts.length === 3 && consent.texts[0].text.startsWith("J'accepte"),
    'the current consent texts, in French',
  );
  const withContact = (
    await execute(french, 'ReportCreate', {
      input: {
        ...input,
        idempotencyKey: `node-client-${randomUUID()}`,
        contact: { email: 'resident@example.org', followUpConsent: true, consentTextVersion: consent.version },
      },
    })
  ).data.reportCreate;
  check(withContact.errors.length === 0, 'a report submitted with a contact, on the version of the text shown');

  const device = { deviceKey: `node-${randomUUID()}`, proof: randomBytes(24).toString('base64url') };
  for (const token of [created.trackingToken, withContact.trackingToken]) {
    const kept = (await execute(french, 'MyItemKeep', { ...device, token })).data.myItemKeep;
    check(kept.errors.length === 0 && kept.added, `item ${kept.item.reference} kept on this device`);
  }
  const mine = (await execute(english, 'MyItems', device)).data.myItems;
  const references = mine.items.map((i) => i.reference).sort();
  check(
    mine.errors.length === 0 &&
      JSON.stringify(references) === JSON.stringify([created.report.reference, withContact.report.reference].sort()),
    'my items lists both, without an account',
  );
  const other = (await execute(english, 'MyItems', { ...device, proof: randomBytes(24).toString('base64url') })).data.myItems;
  check(other.items.length === 0, 'another proof lists nothing');
  const followed = (await execute(english, 'Tracked', { token: withContact.trackingToken })).data.tracked;
  check(
    followed.item.reference === mine.items.find((i) => i.reference === withContact.report.reference).reference,
    'one of my items is followed with its token',
  );
  console.log('client flows: all ok');
} catch (error) {
  console.error(`client flows: FAILED: ${error.message ?? error}`);
  process.exit(1);
}
