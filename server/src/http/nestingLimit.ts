import type { Plugin } from 'graphql-yoga';
import { GraphQLError } from 'graphql';

/**
 * Brackets (`{`, `(`, `[`) a document may nest before it is parsed. graphql-js parses
 * recursively, so a document nested a few thousand levels deep can exhaust the stack (an INTERNAL
 * error, or not, depending on the stack's state); the depth limit (12) only runs after parsing.
 */
export const MAX_DOCUMENT_NESTING = 100;

/**
 * How deep `source` nests its brackets, outside strings, block strings and comments (GraphQL's
 * lexical rules). Linear in the length of the source.
 */
export function bracketNesting(source: string): number {
  let depth = 0;
  let deepest = 0;
  for (let index = 0; index < source.length; index++) {
    const char = source[index];
    if (char === '#') {
      while (index < source.length && source[index] !== '\n' && source[index] !== '\r') index++;
    } else if (char === '"') {
      if (source.startsWith('"""', index)) {
        index += 3;
        while (index < source.length && !source.startsWith('"""', index)) index += source.startsWith('\\"""', index) ? 4 : 1;
        index += 2;
      } else {
        index++;
        while (index < source.length && source[index] !== '"' && source[index] !== '\n') index += source[index] === '\\' ? 2 : 1;
      }
    } else if (char === '{' || char === '(' || char === '[') {
      deepest = Math.max(deepest, ++depth);
    } else if (char === '}' || char === ')' || char === ']') {
      depth--;
    }
  }
  return deepest;
}

/** Refuses a document nested deeper than MAX_DOCUMENT_NESTING before graphql-js parses it (GRAPHQL_PARSE_FAILED). */
export function useNestingLimit(): Plugin {
  return {
    onParse({ params }) {
      const source = typeof params.source === 'string' ? params.source : params.source.body;
      if (bracketNesting(source) > MAX_DOCUMENT_NESTING)
        throw new GraphQLError(`Syntax Error: the document nests brackets deeper than ${MAX_DOCUMENT_NESTING} levels.`, {
          extensions: { code: 'GRAPHQL_PARSE_FAILED' },
        });
    },
  };
}
