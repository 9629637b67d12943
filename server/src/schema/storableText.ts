import SchemaBuilder, { BasePlugin, type PothosOutputFieldConfig, type SchemaTypes } from '@pothos/core';
import {
  type GraphQLFieldResolver,
  type GraphQLInputType,
  type GraphQLResolveInfo,
  getNullableType,
  isInputObjectType,
  isListType,
  isScalarType,
} from 'graphql';
import { badInput } from '../errors.ts';
import { unstorableText } from '../queue/validate.ts';

/**
 * `extensions` for an input field holding captured output (a build's log lines) rather than text
 * someone wrote: its domain function stores it cleaned (U+0000 as U+FFFD), so it is not refused.
 */
export const CAPTURED_OUTPUT = { capturedOutput: true };

/**
 * Refuses, with BAD_USER_INPUT naming the argument, any String or ID argument value, at any depth of
 * input objects and lists, that PostgreSQL cannot store (U+0000, lone surrogates): for every field
 * of the schema at once, before its resolver or subscribe runs, so none of them reaches a statement
 * that fails. JSON arguments are checked by the JSON scalar itself.
 */
class StorableTextPlugin<Types extends SchemaTypes> extends BasePlugin<Types> {
  override wrapResolve(resolver: Resolver<Types>, fieldConfig: PothosOutputFieldConfig<Types>): Resolver<Types> {
    return Object.keys(fieldConfig.args).length === 0 ? resolver : checkedFirst(resolver);
  }

  override wrapSubscribe(subscribe: Resolver<Types> | undefined, fieldConfig: PothosOutputFieldConfig<Types>): Resolver<Types> | undefined {
    return !subscribe || Object.keys(fieldConfig.args).length === 0 ? subscribe : checkedFirst(subscribe);
  }
}

type Resolver<Types extends SchemaTypes> = GraphQLFieldResolver<unknown, Types['Context'], object>;

function checkedFirst<Types extends SchemaTypes>(resolver: Resolver<Types>): Resolver<Types> {
  return (parent, args, context, info) => {
    assertStorableArguments(args as Record<string, unknown>, info);
    return resolver(parent, args, context, info);
  };
}

function assertStorableArguments(args: Record<string, unknown>, info: GraphQLResolveInfo): void {
  for (const argument of info.parentType.getFields()[info.fieldName]!.args)
    assertStorableValue(argument.type, args[argument.name], argument.name);
}

const TEXT_SCALARS = new Set(['String', 'ID']);

function assertStorableValue(type: GraphQLInputType, value: unknown, path: string): void {
  if (value == null) return;
  const nullable = getNullableType(type);
  if (isListType(nullable)) {
    (value as unknown[]).forEach((item, index) => assertStorableValue(nullable.ofType, item, `${path}[${index}]`));
  } else if (isInputObjectType(nullable)) {
    for (const field of Object.values(nullable.getFields())) {
      if (field.extensions.capturedOutput) continue;
      assertStorableValue(field.type, (value as Record<string, unknown>)[field.name], `${path}.${field.name}`);
    }
  } else if (isScalarType(nullable) && TEXT_SCALARS.has(nullable.name)) {
    const problem = unstorableText(value as string);
    if (problem) throw badInput(`Argument ${path} must not contain ${problem}`);
  }
}

const pluginName = 'storableText';
export default pluginName;

declare global {
  export namespace PothosSchemaTypes {
    export interface Plugins<Types extends SchemaTypes> {
      storableText: StorableTextPlugin<Types>;
    }
  }
}

SchemaBuilder.registerPlugin(pluginName, StorableTextPlugin);
