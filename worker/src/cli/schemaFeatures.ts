import type { GraphqlClient } from '../client/api.ts';

/**
 * The field names of a GraphQL type on this server (object fields or input fields), so the CLI
 * uses fields newer servers add (`SubmitBuildInput.requiredLabels`, `Build.eligibleWorkers`) only
 * where they exist. Empty when the type does not exist.
 */
export async function typeFields(api: GraphqlClient, typeName: string): Promise<Set<string>> {
  const data = await api.request<{ __type: { fields: { name: string }[] | null; inputFields: { name: string }[] | null } | null }>(
    'query ($name: String!) { __type(name: $name) { fields { name } inputFields { name } } }',
    { name: typeName },
  );
  const type = data.__type;
  return new Set([...(type?.fields ?? []), ...(type?.inputFields ?? [])].map((field) => field.name));
}
