-- (file 021, the number assigned to this branch) A 1:1 chat's
-- disappearing-timer version (DataMessage.expireTimerVersion, field 23 of
-- Signal-Desktop protos/SignalService.proto): incremented by each change
-- the user makes from Matrix, raised to the highest version Signal sent;
-- a timer carrying an older version is ignored (Signal-Android
-- messages/DataMessageProcessor.kt handleExpirationUpdate). Issue #14.
ALTER TABLE br_chat_timer ADD COLUMN expire_version INTEGER NOT NULL DEFAULT 0;
