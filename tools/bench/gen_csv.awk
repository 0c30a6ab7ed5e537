# gen_csv.awk - N rows (-v n=1000000) of the canonical schema with 19 numeric
# columns, for tools/bench/convert.sh. Deterministic (srand(1)).
BEGIN {
  srand(1)
  print "video_id,posted_at,author_followers,author_verified,duration_s,music_original," \
        "views_1h,likes_1h,shares_1h,comments_1h,saves_1h,watch_ratio_1h," \
        "views_2h,likes_2h,shares_2h,comments_2h,saves_2h,watch_ratio_2h,views_final,viral"
  for (i = 0; i < n; i++) {
    v1 = int(exp(rand() * 10)); v2 = v1 + int(exp(rand() * 10)); fin = v2 * int(1 + rand() * 50)
    printf "%d,%d,%d,%d,%.1f,%d,%d,%d,%d,%d,%d,%.3f,%d,%d,%d,%d,%d,%.3f,%d,%d\n",
      7000000 + i, 1767225600 + int(rand() * 31536000), int(exp(rand() * 14)), (rand() < 0.05),
      5 + rand() * 55, (rand() < 0.6),
      v1, int(v1 * rand() * 0.2), int(v1 * rand() * 0.02), int(v1 * rand() * 0.01), int(v1 * rand() * 0.01), rand(),
      v2, int(v2 * rand() * 0.2), int(v2 * rand() * 0.02), int(v2 * rand() * 0.01), int(v2 * rand() * 0.01), rand(),
      fin, (fin >= 1000000)
  }
}
