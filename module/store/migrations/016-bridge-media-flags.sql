-- What kind of file a Matrix -> Signal file is (issue #17 item 5): the
-- br_net.h BR_NET_ATT_* bits (voice note, GIF, sticker), sent as Signal's
-- AttachmentPointer.flags or as a DataMessage.Sticker.
ALTER TABLE br_media_out ADD COLUMN flags INTEGER NOT NULL DEFAULT 0;
