import { v4 as uuidv4 } from 'uuid';

/** UUIDv4 without dashes: the seed's form of client names and connection ids. */
export function newId(): string {
  return uuidv4().replaceAll('-', '');
}
