// Access entries and the decision the API and `kubectl auth can-i` share (src/core/access.ts).
import { describe, expect, it } from 'vitest';
import { authorize, FULL_ACCESS, grantFor, parseAccessEntries } from '../../src/core/access.ts';

const DEV = 'arn:aws:iam::123456789012:role/Dev';
const ADMIN = 'arn:aws:iam::123456789012:user/admin';

describe('parseAccessEntries', () => {
  it('keeps valid entries', () => {
    const entries = [
      { principal: DEV, namespaces: ['team-a'], access: 'write' },
      { principal: ADMIN, namespaces: ['*'], access: 'read' },
    ];
    expect(parseAccessEntries(entries)).toEqual({ entries });
  });

  it('reports every bad field with its path', () => {
    const result = parseAccessEntries([
      { principal: 'arn:aws:sts::123456789012:assumed-role/Dev/alice', namespaces: [], access: 'admin' },
      { principal: DEV, namespaces: ['Team_A'], access: 'read' },
    ]);
    expect(result).toEqual({
      errors: [
        expect.objectContaining({ field: 'access[0].principal', type: 'FieldValueInvalid' }),
        expect.objectContaining({ field: 'access[0].namespaces', type: 'FieldValueRequired' }),
        expect.objectContaining({
          field: 'access[0].access',
          type: 'FieldValueNotSupported',
          value: 'admin',
        }),
        expect.objectContaining({
          field: 'access[1].namespaces[0]',
          type: 'FieldValueInvalid',
          value: 'Team_A',
        }),
      ],
    });
    expect(parseAccessEntries({})).toEqual({ errors: [expect.objectContaining({ field: 'access' })] });
  });
});

describe('authorize', () => {
  const entries = [
    { principal: DEV, namespaces: ['team-a'], access: 'write' as const },
    { principal: DEV, namespaces: ['team-b', 'team-a'], access: 'read' as const },
    { principal: ADMIN, namespaces: ['*'], access: 'read' as const },
  ];
  const dev = grantFor(entries, DEV);
  const admin = grantFor(entries, ADMIN);
  const nobody = grantFor(entries, 'arn:aws:iam::123456789012:user/nobody');

  it('unites the entries of a principal, write winning', () => {
    expect(dev).toEqual({ user: DEV, namespaces: { 'team-a': 'write', 'team-b': 'read' } });
  });

  it.each([
    {
      name: 'write allows create in its namespace',
      grant: dev,
      verb: 'create',
      namespace: 'team-a',
      allowed: true,
    },
    { name: 'read allows list', grant: dev, verb: 'list', namespace: 'team-b', allowed: true },
    { name: 'read allows watch', grant: dev, verb: 'watch', namespace: 'team-b', allowed: true },
    { name: 'read refuses create', grant: dev, verb: 'create', namespace: 'team-b', allowed: false },
    { name: 'read refuses delete', grant: dev, verb: 'delete', namespace: 'team-b', allowed: false },
    { name: 'another namespace is refused', grant: dev, verb: 'get', namespace: 'team-c', allowed: false },
    {
      name: 'a list across namespaces needs *',
      grant: dev,
      verb: 'list',
      namespace: undefined,
      allowed: false,
    },
    {
      name: '* read lists across namespaces',
      grant: admin,
      verb: 'list',
      namespace: undefined,
      allowed: true,
    },
    { name: '* read reads any namespace', grant: admin, verb: 'get', namespace: 'team-c', allowed: true },
    { name: '* read refuses patch', grant: admin, verb: 'patch', namespace: 'team-c', allowed: false },
    { name: 'no entry, nothing', grant: nobody, verb: 'get', namespace: 'default', allowed: false },
    {
      name: 'the local caller may do anything',
      grant: FULL_ACCESS,
      verb: 'deletecollection',
      namespace: undefined,
      allowed: true,
    },
  ])('$name', ({ grant, verb, namespace, allowed }) => {
    expect(
      authorize(grant, { verb, group: '', resource: 'pods', ...(namespace ? { namespace } : {}) }).allowed,
    ).toBe(allowed);
  });

  it('says why it refuses', () => {
    expect(authorize(dev, { verb: 'create', group: '', resource: 'pods', namespace: 'team-b' }).reason).toBe(
      'read access in namespace "team-b" does not allow create',
    );
    expect(authorize(nobody, { verb: 'get', group: '', resource: 'pods', namespace: 'default' }).reason).toBe(
      'no access entry for namespace "default"',
    );
  });

  it('lets every caller review its own access', () => {
    expect(
      authorize(nobody, {
        verb: 'create',
        group: 'authorization.k8s.io',
        resource: 'selfsubjectaccessreviews',
      }).allowed,
    ).toBe(true);
  });
});
