from finance_pack_api_support import api

__all__ = ["api"]
