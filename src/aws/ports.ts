/** Small ports for the non-CloudFormation calls dpf makes. Adapters live in sdk-*.ts. */
export interface IdentityPort {
  /** STS GetCallerIdentity. */
  whoami(): Promise<{ account: string; arn: string; userId: string }>;
}

export interface ObjectStorePort {
  getText(bucket: string, key: string): Promise<string | undefined>;
  putText(bucket: string, key: string, body: string, contentType?: string): Promise<{ versionId?: string }>;
  putBytes(bucket: string, key: string, body: Uint8Array, contentType?: string): Promise<{ versionId?: string }>;
  exists(bucket: string, key: string): Promise<boolean>;
  listKeys(bucket: string, prefix: string): Promise<string[]>;
}
