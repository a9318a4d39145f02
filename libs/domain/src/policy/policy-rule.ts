/**
 * Policy rules in the language of OpenStack's oslo.policy, as operators write them for Glance:
 * `role:admin or (role:member and project_id:%(project_id)s)`, `rule:other`, `'public':%(visibility)s`,
 * `not …`, `@` (always) and `!` (never); an empty rule always passes.
 */
export type RuleNode =
  | { kind: 'always' }
  | { kind: 'never' }
  | { kind: 'and' | 'or'; of: RuleNode[] }
  | { kind: 'not'; of: RuleNode }
  | { kind: 'check'; key: string; match: string };

/** What a rule is checked against: the caller's credentials and the target's attributes. */
export interface RuleInput {
  credentials: Record<string, unknown>;
  target: Record<string, unknown>;
  /** Evaluates `rule:NAME` (false for an unknown name). */
  rule(name: string): boolean;
}

export class PolicyRuleError extends Error {
  override readonly name = 'PolicyRuleError';
}

export function parseRule(text: string): RuleNode {
  const tokens = tokenize(text);
  if (tokens.length === 0) return { kind: 'always' };
  let pos = 0;
  const peek = () => tokens[pos];
  const fail = (why: string): never => {
    throw new PolicyRuleError(`${why} in rule "${text}"`);
  };
  const orExpr = (): RuleNode => {
    const of = [andExpr()];
    while (peek() === 'or') (pos++, of.push(andExpr()));
    return of.length === 1 ? of[0]! : { kind: 'or', of };
  };
  const andExpr = (): RuleNode => {
    const of = [notExpr()];
    while (peek() === 'and') (pos++, of.push(notExpr()));
    return of.length === 1 ? of[0]! : { kind: 'and', of };
  };
  const notExpr = (): RuleNode => {
    if (peek() === 'not') return (pos++, { kind: 'not', of: notExpr() });
    return atom();
  };
  const atom = (): RuleNode => {
    const token = tokens[pos++];
    if (token === undefined) return fail('unexpected end');
    if (token === '(') {
      const inner = orExpr();
      if (tokens[pos++] !== ')') fail('missing )');
      return inner;
    }
    if (token === '@') return { kind: 'always' };
    if (token === '!') return { kind: 'never' };
    const colon = token.indexOf(':');
    if (colon <= 0 || ['and', 'or', 'not', ')'].includes(token)) return fail(`unexpected "${token}"`);
    return { kind: 'check', key: token.slice(0, colon), match: token.slice(colon + 1) };
  };
  const node = orExpr();
  if (pos < tokens.length) fail(`unexpected "${tokens[pos]}"`);
  return node;
}

export function evaluate(node: RuleNode, input: RuleInput): boolean {
  switch (node.kind) {
    case 'always':
      return true;
    case 'never':
      return false;
    case 'and':
      return node.of.every((n) => evaluate(n, input));
    case 'or':
      return node.of.some((n) => evaluate(n, input));
    case 'not':
      return !evaluate(node.of, input);
    case 'check':
      return check(node.key, node.match, input);
  }
}

function check(key: string, match: string, input: RuleInput): boolean {
  if (key === 'rule') return input.rule(match);
  // `%(name)s` names a target attribute; anything else is a literal.
  const ref = /^%\((\w+)\)s$/.exec(match);
  const wanted = ref ? input.target[ref[1]!] : match;
  if (wanted === undefined || wanted === null) return false;
  if (key === 'role') {
    const roles = input.credentials.roles as string[];
    return roles.includes(String(wanted).toLowerCase());
  }
  // `'literal':%(attr)s`: the target attribute equals the literal.
  const literal = /^'(.*)'$/.exec(key) ?? /^"(.*)"$/.exec(key);
  if (literal) return String(wanted) === literal[1];
  const have = input.credentials[key];
  if (have === undefined || have === null) return false;
  if (typeof have === 'boolean') return String(have).toLowerCase() === String(wanted).toLowerCase();
  return String(have) === String(wanted);
}

function tokenize(text: string): string[] {
  const out: string[] = [];
  for (const raw of text.trim().split(/\s+/).filter(Boolean)) {
    let word = raw;
    while (word.startsWith('(')) (out.push('('), (word = word.slice(1)));
    let closing = 0;
    while (word.endsWith(')') && !/%\(\w+\)s?$/.test(word)) (closing++, (word = word.slice(0, -1)));
    if (word) out.push(word);
    for (let i = 0; i < closing; i++) out.push(')');
  }
  return out;
}
