"""dalalab-bot: the Teams edge and the use cases of Region Dalarna's learning projects."""
