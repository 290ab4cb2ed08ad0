/** The auth service: registers users and publishes UserCreated (seed 003, "User Registration"). */
import { randomUUID } from 'node:crypto';
import type { UserCreatedInput } from '../../../generated/chat/index.js';
import { serviceClient, type ServiceContext } from './context.js';

export interface User {
  user_id: string;
  email: string;
  username: string;
  created_at: string;
}

export class DuplicateUser extends Error {
  readonly statusCode = 409;
  constructor(email: string) {
    super(`a user with e-mail ${email} exists`);
    this.name = new.target.name;
  }
}

export function startAuthService(ctx: ServiceContext) {
  const { client, trace } = serviceClient('auth-service', ctx);
  const users = new Map<string, User>();
  const byEmail = new Map<string, string>();

  return {
    user: (id: string): User | undefined => users.get(id),

    async register(email: string, username: string, correlationId: string): Promise<User> {
      const key = email.toLowerCase();
      if (byEmail.has(key)) throw new DuplicateUser(email);
      const user: User = { user_id: randomUUID(), email, username, created_at: new Date().toISOString() };
      users.set(user.user_id, user);
      byEmail.set(key, user.user_id);
      const payload: UserCreatedInput = { data: user };
      trace.published(await client.publishUserCreated(payload, { correlationId }), 'UserCreated', username);
      return user;
    },

    close: () => client.close(),
  };
}

export type AuthService = ReturnType<typeof startAuthService>;
