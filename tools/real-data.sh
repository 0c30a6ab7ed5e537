#!/usr/bin/env bash
# real-data.sh [OUTDIR] - build labeled records from each shared real dataset
# with `viral assemble`, and print a table: dataset, rows, positives.
#
# OUTDIR defaults to build/real-data/ (outside the tracked tree: the data is
# not ours to redistribute). The raw files are read from
# $VIRAL_SHARED_DATASETS/raw (default: ../shared/datasets beside the repo);
# the binary is $VIRAL (default: build/viral). datasets/REAL.md explains each
# command and the counts. Takes well under a second per dataset.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$repo/build/real-data}
viral=${VIRAL:-$repo/build/viral}
raw=${VIRAL_SHARED_DATASETS:-$repo/../shared/datasets}/raw
[ -x "$viral" ] || { echo "real-data.sh: no viral binary at $viral (build first, or set VIRAL)" >&2; exit 1; }
[ -d "$raw" ] || { echo "real-data.sh: no shared datasets at $raw (set VIRAL_SHARED_DATASETS)" >&2; exit 1; }
mkdir -p "$out"

# build NAME ARGS... : run viral assemble -o OUTDIR/NAME.csv and print the counts.
build() {
  local name=$1; shift
  local summary
  summary=$("$viral" assemble "$@" -o "$out/$name.csv" 2>&1 >/dev/null) || {
    echo "real-data.sh: $name failed: $summary" >&2; exit 1; }
  printf '%s\n' "$summary" > "$out/$name.log"
  # "viral assemble: N records, P positive, ..."
  local rows pos
  rows=$(sed -n 's/^viral assemble: \([0-9]*\) records, \([0-9]*\) positive.*/\1/p' <<<"$summary")
  pos=$(sed -n 's/^viral assemble: \([0-9]*\) records, \([0-9]*\) positive.*/\2/p' <<<"$summary")
  printf '%-22s %6s %9s\n' "$name" "$rows" "$pos"
}

printf '%-22s %6s %9s\n' dataset rows positives

# TikTok-VN 2025: first sighting (A) paired with the re-crawl (C). The id comes
# from vid_url (vid_id is float-mangled in some copies), the post time from the
# id (vid_postTime is shifted in the C files), scrape times are naive UTC+7.
# Features: the first sighting (A) only; label views_C / views_A >= 1.5.
d=$raw/tiktok-vn-2025
build tiktok-vn-2025 \
  --id vid_url --id-regex '/video/([0-9]+)' --posted-at-from-id \
  --observed-at vid_scrapeTime --utc-offset 7 \
  --counters views=vid_nview,likes=vid_nlike,comments=vid_ncomment,shares=vid_nshare,saves=vid_nsave \
  --attrs author_id=user_name,author_followers=user_nfollower:count,duration_s=vid_duration:duration,caption=vid_caption,hashtags=vid_hashtags,music_title=music_title,music_original=music_originality:bool,music_nused=music_nused:count \
  --first 1 --min-sightings 2 --skip-bad-rows \
  --label 'ratio:views_final/views_s1>=1.5' \
  "$d/raw_data.csv" "$d/recrawl_full_tp_view.csv" "$d/recrawl_final_nmai_view_filled.csv"

# Reddit r/all hourly: features at the first sighting and the next hourly one
# (s1, s2); label: peak score in the top 10% of posts.
d=$raw/reddit-rall-hourly
build reddit-rall-hourly \
  --id id --observed-at date --posted-at created \
  --counters score=score,comments=num_comments,upvote_ratio=upvote_ratio:number,position=position:number \
  --attrs subreddit=subreddit_display_name,is_self=is_self:bool,url=url,caption=title \
  --first 2 --label 'top:10%:score_peak' \
  "$d/2023-12/core_data.csv" "$d/2024-01/core_data.csv"

# Bilibili popular list, 9 hourly snapshots: the videos present in all 9;
# label views(last) / views(first) >= 1.5; features from the first two.
d=$raw/bilibili-hot-hourly
build bilibili-hot-hourly \
  --id aid --observed-at timestamp --posted-at pubdate \
  --counters views=stat_view,likes=stat_like,comments=stat_reply,shares=stat_share,saves=stat_favorite,coins=stat_coin,danmaku=stat_danmaku \
  --attrs author_id=owner_mid,duration_s=duration:number,category=tname,parent_category=pid_name_v2,tags=tags,copyright=copyright:number,caption=title \
  --first 2 --min-sightings 9 --label 'ratio:views_final/views_s1>=1.5' \
  "$d/bilibili_hot_videos_server.csv"

# TikTok trending 2020: one snapshot of final counts, scrape time estimated
# (SOURCE.md); label: plays in the top 10%. The counters are outcomes only.
d=$raw/tiktok-trending-2020
build tiktok-trending-2020 \
  --json-path collector --id id --posted-at createTime --observed-time 2020-12-21T15:00:00Z \
  --counters views=playCount,likes=diggCount,shares=shareCount,comments=commentCount \
  --attrs author_id=authorMeta.name,author_verified=authorMeta.verified:bool,music_id=musicMeta.musicId,music_name=musicMeta.musicName,music_original=musicMeta.musicOriginal:bool,duration_s=videoMeta.duration:number,caption=text,hashtags=hashtags \
  --label 'top:10%:views_final' \
  "$d/trending.json"
