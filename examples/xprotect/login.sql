-- The backup's SQL Server login: it reads the log database and nothing else.
-- Run once as an administrator (sqlcmd -S vms-sql.example.lan -i login.sql), with a long
-- random password of your own in place of the placeholder; put the same password in the
-- job's DSN_FILE (mode 0600).
USE master;
GO
CREATE LOGIN xpbackup WITH PASSWORD = N'CHANGE-ME-to-a-long-random-password',
    DEFAULT_DATABASE = SurveillanceLogServerV2, CHECK_POLICY = ON;
GO
USE SurveillanceLogServerV2;
GO
CREATE USER xpbackup FOR LOGIN xpbackup;
GO
ALTER ROLE db_datareader ADD MEMBER xpbackup;
GO
