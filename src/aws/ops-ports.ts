/** Ports for the services the later phases and day-2 commands use (EC2, ASG, RDS, EFS, SSM, Backup, CloudWatch). */
export interface OpsPorts {}
