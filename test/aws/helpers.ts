/** Helpers for the adapter tests (aws-sdk-client-mock). */

/** An error shaped like the SDK's service exceptions: `name` is the error code. */
export function awsError(name: string, status = 400, message = name): Error {
  return Object.assign(new Error(message), { name, $fault: status >= 500 ? 'server' : 'client', $metadata: { httpStatusCode: status } });
}

/** What moto's HTML 500 page turns into in the SDK: a deserialization SyntaxError with the status. */
export function motoUnimplemented(): Error {
  return Object.assign(new SyntaxError(`Unexpected token '<', "<!doctype "... is not valid JSON`), { $metadata: { httpStatusCode: 500 } });
}

export const cfg = { region: 'eu-west-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 };
