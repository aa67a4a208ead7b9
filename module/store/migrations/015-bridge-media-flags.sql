-- Issue #17, Matrix -> Signal.
-- What kind of file a Matrix -> Signal file is (item 5): the
-- br_net.h BR_NET_ATT_* bits (voice note, GIF, sticker), sent as Signal's
-- AttachmentPointer.flags or as a DataMessage.Sticker.
ALTER TABLE br_media_out ADD COLUMN flags INTEGER NOT NULL DEFAULT 0;
-- An edit's new text's body ranges (BR_NET_FMT JSON of br_net.h, NULL when
-- none), queued with the edit so that a resend keeps its formatting.
ALTER TABLE br_relout ADD COLUMN fmt TEXT;
