/** Who is asking: built by the API's authenticator for every request. */
export interface RequestContext {
  /** Null for Glance's unauthenticated (noauth, no headers) context. */
  projectId: string | null;
  userId: string | null;
  roles: string[];
  isAdmin: boolean;
  domainId?: string | null;
  /** Keystone system scope, when the token has one. */
  systemScope?: string | null;
}
