/** The chat service: creates chat messages and publishes ChatCreated (seed 003, "Create Chat Message"). */
import { randomUUID } from 'node:crypto';
import type { ChatCreatedData, ChatCreatedInput } from '../../../generated/chat/index.js';
import { serviceClient, type ServiceContext } from './context.js';

export interface NewMessage {
  chat_id?: string;
  sender_id: string;
  recipient_ids: string[];
  content: string;
}

export function startChatService(ctx: ServiceContext) {
  const { client, trace } = serviceClient('chat-service', ctx);
  const messages = new Map<string, ChatCreatedData>();

  return {
    message: (id: string): ChatCreatedData | undefined => messages.get(id),

    async create(input: NewMessage, correlationId: string): Promise<ChatCreatedData> {
      // the sender is not a recipient of its own message, and nobody receives it twice
      const recipients = [...new Set(input.recipient_ids)].filter((r) => r !== input.sender_id);
      const message: ChatCreatedData = {
        message_id: randomUUID(),
        chat_id: input.chat_id ?? randomUUID(),
        sender_id: input.sender_id,
        recipient_ids: recipients,
        content: input.content,
        created_at: new Date().toISOString(),
      };
      messages.set(message.message_id, message);
      const payload: ChatCreatedInput = { data: message };
      trace.published(await client.publishChatCreated(payload, { correlationId }), 'ChatCreated', `${recipients.length} recipient(s)`);
      return message;
    },

    close: () => client.close(),
  };
}

export type ChatService = ReturnType<typeof startChatService>;
